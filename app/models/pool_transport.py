"""The httpx transport under ChatOllama that spreads requests over a HostPool (app.models.pool) and records which
host answered. Composition-root code, like deadline.py and chaos.py; only in use when several hosts are configured.

One request: pick a host, send; a transport error (refused, timed out, dropped) or a 5xx counts against that host
and the request goes to another one, while the question's latency budget lasts; a 404 "model not found" skips
the host for that model with the `ollama pull` hint. When no host is left, the last error (or response) goes up
as it would from one host, so the ladder retries and falls back exactly as before. A reply that fails mid-stream
counts against its host too (the ladder's retry then lands elsewhere). An attempt its caller ends (asyncio's
cancellation when a deadline above runs out, an interrupt) counts neither way but is no longer in flight: a count
left behind would steer every later request away from that host. What happened goes to the HostLog of the
current question (a context variable the service sets): which hosts failed, which answered.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

import httpx

from app.models.pool import HostPool, NoHostAvailable, pull_hint

Outcome = Literal["ok", "retry", "skipped"]
RETRY_STATUS = frozenset({500, 502, 503, 504})
MODEL_PATHS = ("/api/chat", "/api/generate", "/api/show", "/api/embed", "/api/embeddings")


@dataclass
class HostLog:
    """One question's view of the pool: `answered` is the host of the last reply that came through."""

    on_event: Callable[[str, Outcome, str], None] | None = None
    answered: str | None = None

    def note(self, host: str, outcome: Outcome, detail: str) -> None:
        if outcome == "ok":
            self.answered = host
        if self.on_event is not None:
            self.on_event(host, outcome, detail)


HOST_LOG: ContextVar[HostLog | None] = ContextVar("guarded_rag_host_log", default=None)


def _note(host: str, outcome: Outcome, detail: str) -> None:
    log = HOST_LOG.get()
    if log is not None:
        log.note(host, outcome, detail)


def _model_of(body: bytes) -> str:
    try:
        found = json.loads(body).get("model") if body else None
    except (ValueError, AttributeError):
        return ""
    return str(found or "")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


class _Router:
    """What the sync and async transports share: routing a request to a host and judging an error response."""

    def __init__(self, pool: HostPool, base_url: str, total_s: float) -> None:
        self.pool, self.total_s = pool, total_s
        self._prefix = httpx.URL(base_url).path.rstrip("/")

    def route(self, request: httpx.Request, body: bytes, host: str) -> httpx.Request:
        target = httpx.URL(host)
        path = request.url.path
        if self._prefix and path.startswith(self._prefix):
            path = path[len(self._prefix) :]
        url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port, path=target.path.rstrip("/") + path)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]  # httpx sets the new Host
        return httpx.Request(request.method, url, headers=headers, content=body, extensions=request.extensions)

    def judge(self, request: httpx.Request, status: int, raw: bytes, host: str, model: str) -> str | None:
        """None: the host answered (give the response back). Else why to try another host (already released)."""
        text = raw[:300].decode("utf-8", "replace")
        if status == 404 and model and request.url.path.endswith(MODEL_PATHS) and b"not found" in raw:
            self.pool.release(host, ok=True, missing_model=model)
            _note(host, "skipped", pull_hint(host, model))
            return "no model"
        if status in RETRY_STATUS:
            self.pool.release(host, ok=False, error=f"HTTP {status}: {text}")
            _note(host, "retry", f"HTTP {status}: {text}; trying another host")
            return "failed"
        return None

    def failed(self, host: str, exc: BaseException) -> None:
        self.pool.release(host, ok=False, error=_describe(exc))
        _note(host, "retry", f"{_describe(exc)}; trying another host")

    def finisher(self, host: str) -> Callable[[bool, str | None], None]:
        done = [False]

        def finish(ok: bool, error: str | None) -> None:
            if not done[0]:
                done[0] = True
                self.pool.release(host, ok=ok, error=error)
                if not ok:
                    _note(host, "retry", f"the reply broke off ({error}); counted against this host")

        return finish


class _Tracked(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, finish: Callable[[bool, str | None], None]) -> None:
        self._inner, self._finish = inner, finish

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._inner
        except Exception as exc:  # mid-stream: the host failed this reply
            self._finish(False, _describe(exc))
            raise

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._finish(True, None)


class _AsyncTracked(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, finish: Callable[[bool, str | None], None]) -> None:
        self._inner, self._finish = inner, finish

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as exc:
            self._finish(False, _describe(exc))
            raise

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._finish(True, None)


def _copy(response: httpx.Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
    return httpx.Response(response.status_code, headers=response.headers, stream=stream, extensions=response.extensions)


def _copy_read(response: httpx.Response, body: bytes) -> httpx.Response:
    """A read (decoded) error response as a fresh one: without the encoding and length headers of the original."""
    headers = [
        (k, v)
        for k, v in response.headers.items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(response.status_code, headers=headers, content=body, extensions=response.extensions)


class PoolTransport(httpx.BaseTransport):
    def __init__(self, pool: HostPool, inner: httpx.BaseTransport, *, base_url: str, total_s: float) -> None:
        self._router, self.inner = _Router(pool, base_url, total_s), inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        router = self._router
        deadline = time.monotonic() + router.total_s
        body = request.read()
        model, tried = _model_of(body), set[str]()
        last: httpx.Response | Exception | None = None
        while time.monotonic() < deadline or last is None:
            try:
                host = router.pool.acquire(model, tried)
            except NoHostAvailable as exc:
                last = last or httpx.ConnectError(str(exc), request=request)
                break
            tried.add(host)
            try:
                response = self.inner.handle_request(router.route(request, body, host))
                raw = response.read() if response.status_code >= 400 else b""  # an error body (small), decoded
            except httpx.TransportError as exc:
                router.failed(host, exc)
                last = exc
                continue
            except BaseException:
                router.pool.abandon(host)  # not the host's doing (cancelled, interrupted): in flight no more
                raise
            if response.status_code >= 400:
                response.close()
                if router.judge(request, response.status_code, raw, host, model) is not None:
                    last = _copy_read(response, raw)
                    continue
                router.pool.release(host, ok=True)
                _note(host, "ok", f"HTTP {response.status_code}")
                return _copy_read(response, raw)
            _note(host, "ok", f"answered by {host}")
            assert isinstance(response.stream, httpx.SyncByteStream)
            return _copy(response, _Tracked(response.stream, router.finisher(host)))
        if isinstance(last, httpx.Response):
            return last
        assert last is not None  # the loop ran at least once
        raise last

    def close(self) -> None:
        self.inner.close()


class AsyncPoolTransport(httpx.AsyncBaseTransport):
    """Async twin of PoolTransport (same rules, same pool)."""

    def __init__(self, pool: HostPool, inner: httpx.AsyncBaseTransport, *, base_url: str, total_s: float) -> None:
        self._router, self.inner = _Router(pool, base_url, total_s), inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        router = self._router
        deadline = time.monotonic() + router.total_s
        body = await request.aread()
        model, tried = _model_of(body), set[str]()
        last: httpx.Response | Exception | None = None
        while time.monotonic() < deadline or last is None:
            try:
                host = router.pool.acquire(model, tried)
            except NoHostAvailable as exc:
                last = last or httpx.ConnectError(str(exc), request=request)
                break
            tried.add(host)
            try:
                response = await self.inner.handle_async_request(router.route(request, body, host))
                raw = await response.aread() if response.status_code >= 400 else b""
            except httpx.TransportError as exc:
                router.failed(host, exc)
                last = exc
                continue
            except BaseException:  # asyncio's CancelledError too: a deadline above ended the wait
                router.pool.abandon(host)
                raise
            if response.status_code >= 400:
                await response.aclose()
                if router.judge(request, response.status_code, raw, host, model) is not None:
                    last = _copy_read(response, raw)
                    continue
                router.pool.release(host, ok=True)
                _note(host, "ok", f"HTTP {response.status_code}")
                return _copy_read(response, raw)
            _note(host, "ok", f"answered by {host}")
            assert isinstance(response.stream, httpx.AsyncByteStream)
            return _copy(response, _AsyncTracked(response.stream, router.finisher(host)))
        if isinstance(last, httpx.Response):
            return last
        assert last is not None
        raise last

    async def aclose(self) -> None:
        await self.inner.aclose()
