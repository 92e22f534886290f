"""A total deadline for one model request, as an httpx transport wrapper below ChatOllama (either backend).

The client's `timeout` is per read: a server that trickles a byte every few seconds keeps a streamed reply
alive forever. This wrapper ends the reply with httpx.ReadTimeout (a transport error the ladder already retries
and traces) once `total_s` have passed since the request was sent. Composition-root code, like chaos.py.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx


def _expired(request: httpx.Request, total_s: float) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(f"the model's reply took longer than {total_s:g} s in all", request=request)


class _Stream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, request: httpx.Request, deadline: float, total_s: float) -> None:
        self._inner, self._request, self._deadline, self._total = inner, request, deadline, total_s

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise _expired(self._request, self._total)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request, deadline: float, total_s: float) -> None:
        self._inner, self._request, self._deadline, self._total = inner, request, deadline, total_s

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise _expired(self._request, self._total)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _rewrap(
    response: httpx.Response, request: httpx.Request, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    return httpx.Response(
        response.status_code, headers=response.headers, stream=stream, extensions=response.extensions, request=request
    )


class DeadlineTransport(httpx.BaseTransport):
    """Sync: every response's body must be complete within `total_s` of sending the request."""

    def __init__(self, inner: httpx.BaseTransport, total_s: float) -> None:
        self.inner = inner
        self.total_s = total_s

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.total_s
        response = self.inner.handle_request(request)
        if not isinstance(response.stream, httpx.SyncByteStream):  # not a sync body: nothing to bound
            return response
        return _rewrap(response, request, _Stream(response.stream, request, deadline, self.total_s))

    def close(self) -> None:
        self.inner.close()


class AsyncDeadlineTransport(httpx.AsyncBaseTransport):
    """Async twin of DeadlineTransport."""

    def __init__(self, inner: httpx.AsyncBaseTransport, total_s: float) -> None:
        self.inner = inner
        self.total_s = total_s

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.total_s
        response = await self.inner.handle_async_request(request)
        if not isinstance(response.stream, httpx.AsyncByteStream):
            return response
        return _rewrap(response, request, _AsyncStream(response.stream, request, deadline, self.total_s))

    async def aclose(self) -> None:
        await self.inner.aclose()
