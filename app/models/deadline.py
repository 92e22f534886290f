"""A total deadline for one model request, as an httpx transport wrapper below ChatOllama (either backend).

The client's `timeout` is per read: a server that trickles a byte every few seconds keeps a reply alive forever,
in its body *or in its status line and headers*. Two layers end it:

- DeadlineTransport ends the request with httpx.ReadTimeout (a transport error the ladder already retries and
  traces) once its deadline has passed: `total_s` after sending, or sooner when the generation ladder has set a
  chains.circuit.CallLimit (the question's remaining budget). It checks between body chunks, and stops reading
  once the limit's `cancelled()` says the caller went away (chains.errors.Cancelled).
- Below it, on the wire, `wire_transport()` gives every socket read and write a timeout no longer than what is
  left of that deadline, so a server trickling its *headers* (which httpx reads before any body chunk reaches
  DeadlineTransport) is cut off too. Async requests get the same bound from asyncio's own timeout, which cancels
  the read wherever it is.

Composition-root code, like chaos.py.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import typing
from collections.abc import AsyncIterator, Iterable, Iterator
from contextvars import ContextVar

import httpcore
import httpx

from chains.circuit import MODEL_CALL_LIMIT
from chains.errors import Cancelled

_WIRE_DEADLINE: ContextVar[float | None] = ContextVar("guarded_rag_wire_deadline", default=None)
"""The time.monotonic() by which the current request's socket reads must end (set by DeadlineTransport)."""


def _expired(request: httpx.Request, total_s: float) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(f"the model's reply took longer than {total_s:g} s in all", request=request)


def _deadline(total_s: float) -> float:
    """`total_s` from now, or the model call's limit when that comes first."""
    own = time.monotonic() + total_s
    limit = MODEL_CALL_LIMIT.get()
    return own if limit is None else min(own, limit.deadline)


def _check_cancelled() -> None:
    limit = MODEL_CALL_LIMIT.get()
    if limit is not None and limit.caller_gone():
        raise Cancelled()


# -- the wire: socket reads bounded by what is left of the deadline ---------------------------------------------
def _bounded(timeout: float | None, what: str) -> float | None:
    deadline = _WIRE_DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        exc: type[httpcore.TimeoutException] = httpcore.ReadTimeout if what == "read" else httpcore.WriteTimeout
        raise exc(f"the request's deadline passed while {what}ing")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, "read"))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, "writ"))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, "read")))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]]
        | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _bounded(timeout, "read"), local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]]
        | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _bounded(timeout, "read"), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def wire_transport() -> httpx.HTTPTransport:
    """httpx's HTTP transport with every socket operation bounded by the current request's deadline.

    httpx (0.28) takes no httpcore network backend, so the pool's backend is wrapped after construction: the one
    private attribute this module touches. If a later httpx renames it, the transport is returned unwrapped
    (body-only deadline) and tests/app/test_deadlines.py's header-trickle test fails, which is the signal.
    """
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, _DeadlineBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return transport


# -- the body: between chunks --------------------------------------------------------------------------------
class _Stream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, request: httpx.Request, deadline: float, total_s: float) -> None:
        self._inner, self._request, self._deadline, self._total = inner, request, deadline, total_s

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            token = _WIRE_DEADLINE.set(self._deadline)
            try:
                chunk = next(chunks, None)
            except httpx.TimeoutException as exc:
                if time.monotonic() >= self._deadline:
                    raise _expired(self._request, self._total) from exc
                raise
            finally:
                _WIRE_DEADLINE.reset(token)
            if chunk is None:
                return
            if time.monotonic() > self._deadline:
                raise _expired(self._request, self._total)
            _check_cancelled()
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request, deadline: float, total_s: float) -> None:
        self._inner, self._request, self._deadline, self._total = inner, request, deadline, total_s

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = aiter(self._inner)
        while True:
            try:
                async with asyncio.timeout_at(_loop_time(self._deadline)):
                    chunk = await anext(chunks, None)
            except TimeoutError:
                raise _expired(self._request, self._total) from None
            if chunk is None:
                return
            _check_cancelled()
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _loop_time(deadline: float) -> float:
    """A time.monotonic() deadline on the running loop's clock (the same clock by default, but not promised)."""
    return asyncio.get_running_loop().time() + (deadline - time.monotonic())


def _rewrap(
    response: httpx.Response, request: httpx.Request, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    return httpx.Response(
        response.status_code, headers=response.headers, stream=stream, extensions=response.extensions, request=request
    )


class DeadlineTransport(httpx.BaseTransport):
    """Sync: every response, headers and body, must be complete within `total_s` of sending the request (or by
    the model call's limit). The headers are bounded by the wire (`wire_transport()` underneath, possibly below
    a pool or chaos layer); other transports underneath get the body bound only."""

    def __init__(self, inner: httpx.BaseTransport, total_s: float) -> None:
        self.inner = inner
        self.total_s = total_s

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _check_cancelled()
        deadline = _deadline(self.total_s)
        token = _WIRE_DEADLINE.set(deadline)
        try:
            response = self.inner.handle_request(request)
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline:
                raise _expired(request, self.total_s) from exc
            raise
        finally:
            _WIRE_DEADLINE.reset(token)
        if not isinstance(response.stream, httpx.SyncByteStream):  # not a sync body: nothing to bound
            return response
        return _rewrap(response, request, _Stream(response.stream, request, deadline, self.total_s))

    def close(self) -> None:
        self.inner.close()


class AsyncDeadlineTransport(httpx.AsyncBaseTransport):
    """Async twin of DeadlineTransport: asyncio's timeout bounds the headers and every body chunk, whatever the
    transport underneath."""

    def __init__(self, inner: httpx.AsyncBaseTransport, total_s: float) -> None:
        self.inner = inner
        self.total_s = total_s

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _check_cancelled()
        deadline = _deadline(self.total_s)
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                response = await self.inner.handle_async_request(request)
        except TimeoutError:
            raise _expired(request, self.total_s) from None
        if not isinstance(response.stream, httpx.AsyncByteStream):
            return response
        return _rewrap(response, request, _AsyncStream(response.stream, request, deadline, self.total_s))

    async def aclose(self) -> None:
        await self.inner.aclose()
