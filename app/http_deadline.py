"""A total deadline for one HTTP request, as an httpx transport wrapper: for the model clients (app.models.deadline
adds the question's budget and the caller going away) and the Chroma server's client (app.documents.server).
App root, like app.deadline: both parts use it, and neither may import the other.

The client's `timeout` is per read: a server that trickles a byte every few seconds keeps a reply alive forever,
in its body *or in its status line and headers*. Two layers end it:

- TotalDeadline ends the request with httpx.ReadTimeout once its deadline has passed (`total_s` after sending,
  or sooner when a subclass says so). It checks between body chunks.
- Below it, on the wire, `wire_transport()` (or `bound_wire` on an existing transport) gives every socket read
  and write a timeout no longer than what is left of that deadline, so a server trickling its *headers* (which
  httpx reads before any body chunk reaches TotalDeadline) is cut off too. Async requests get the same bound
  from asyncio's own timeout, which cancels the read wherever it is.
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

_WIRE_DEADLINE: ContextVar[float | None] = ContextVar("guarded_rag_wire_deadline", default=None)
"""The time.monotonic() by which the current request's socket reads must end (set by DeadlineTransport)."""


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


def bound_wire(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """`transport` with every socket operation bounded by the current request's deadline (keeps its pool limits,
    TLS and proxy settings).

    httpx (0.28) takes no httpcore network backend, so the pool's backend is wrapped after construction: the one
    private attribute this module touches. If a later httpx renames it, the transport is returned unwrapped
    (body-only deadline) and tests/app/test_deadlines.py's header-trickle test fails, which is the signal.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, _DeadlineBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return transport


def wire_transport() -> httpx.HTTPTransport:
    """httpx's HTTP transport with every socket operation bounded by the current request's deadline."""
    return bound_wire(httpx.HTTPTransport())


# -- the whole request: headers on the wire, the body between chunks ---------------------------------------------
class _Bound:
    """What a deadline transport asks of itself: when the request must be done, what to check between chunks,
    and how to say it ran out. Subclasses (app.models.deadline) bring a sooner limit and a stop check."""

    what = "the reply"

    def __init__(self, total_s: float) -> None:
        self.total_s = total_s

    def deadline(self) -> float:
        """The time.monotonic() by which a request sent now must be complete."""
        return time.monotonic() + self.total_s

    def check(self) -> None:
        """Before sending and between body chunks: raise to stop (nothing to check by default)."""

    def expired(self, request: httpx.Request) -> httpx.ReadTimeout:
        return httpx.ReadTimeout(f"{self.what} took longer than {self.total_s:g} s in all", request=request)


class _Stream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, request: httpx.Request, deadline: float, bound: _Bound) -> None:
        self._inner, self._request, self._deadline, self._bound = inner, request, deadline, bound

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            token = _WIRE_DEADLINE.set(self._deadline)
            try:
                chunk = next(chunks, None)
            except httpx.TimeoutException as exc:
                if time.monotonic() >= self._deadline:
                    raise self._bound.expired(self._request) from exc
                raise
            finally:
                _WIRE_DEADLINE.reset(token)
            if chunk is None:
                return
            if time.monotonic() > self._deadline:
                raise self._bound.expired(self._request)
            self._bound.check()
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request, deadline: float, bound: _Bound) -> None:
        self._inner, self._request, self._deadline, self._bound = inner, request, deadline, bound

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = aiter(self._inner)
        while True:
            try:
                async with asyncio.timeout_at(_loop_time(self._deadline)):
                    chunk = await anext(chunks, None)
            except TimeoutError:
                raise self._bound.expired(self._request) from None
            if chunk is None:
                return
            self._bound.check()
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


class TotalDeadline(_Bound, httpx.BaseTransport):
    """Sync: every response, headers and body, must be complete within `total_s` of sending the request. The
    headers are bounded by the wire (`bound_wire` underneath, possibly below a pool or chaos layer); other
    transports underneath get the body bound only."""

    def __init__(self, inner: httpx.BaseTransport, total_s: float) -> None:
        super().__init__(total_s)
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.check()
        deadline = self.deadline()
        token = _WIRE_DEADLINE.set(deadline)
        try:
            response = self.inner.handle_request(request)
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline:
                raise self.expired(request) from exc
            raise
        finally:
            _WIRE_DEADLINE.reset(token)
        if not isinstance(response.stream, httpx.SyncByteStream):  # not a sync body: nothing to bound
            return response
        return _rewrap(response, request, _Stream(response.stream, request, deadline, self))

    def close(self) -> None:
        self.inner.close()


class AsyncTotalDeadline(_Bound, httpx.AsyncBaseTransport):
    """Async twin of TotalDeadline: asyncio's timeout bounds the headers and every body chunk, whatever the
    transport underneath."""

    def __init__(self, inner: httpx.AsyncBaseTransport, total_s: float) -> None:
        super().__init__(total_s)
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.check()
        deadline = self.deadline()
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                response = await self.inner.handle_async_request(request)
        except TimeoutError:
            raise self.expired(request) from None
        if not isinstance(response.stream, httpx.AsyncByteStream):
            return response
        return _rewrap(response, request, _AsyncStream(response.stream, request, deadline, self))

    async def aclose(self) -> None:
        await self.inner.aclose()
