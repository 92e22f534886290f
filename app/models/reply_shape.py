"""A check that a 200 answer to POST /api/chat has Ollama's chat shape, as an httpx transport wrapper on the wire.

A server that answers 200 with no lines (a proxy, a misconfigured gateway), with JSON lines that are not chat
chunks (`{"foo": 1}`, a list, `"message": "text"`), or with nothing but a model-load line makes the ollama client
and ChatOllama raise ValueError, pydantic's ValidationError or AttributeError: errors too broad for the ladder to
treat as "the model server failed" (they also mean bugs), so the question ended as an error instead of retrying
and falling back. This layer turns those replies into httpx.RemoteProtocolError, one of TRANSPORT_ERRORS, with
a message saying what came back. Lines that are not JSON at all already fail as json.JSONDecodeError (also a
transport error) and an `{"error": ...}` line as ollama.ResponseError, so both pass through untouched.

Only chat requests with messages and streaming on are checked (ChatOllama's calls); the empty-messages chat
that loads a model legitimately answers with a load line alone. Composition-root code, like deadline.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

_PREVIEW = 80


def _checked(request: httpx.Request) -> bool:
    if request.method != "POST" or not request.url.path.endswith("/api/chat"):
        return False
    try:
        body = json.loads(request.content or b"{}")
    except (ValueError, httpx.RequestNotRead):  # a streamed request body: not the ollama client's
        return False
    return isinstance(body, dict) and bool(body.get("messages")) and body.get("stream", True) is not False


class _Shape:
    """Reads NDJSON lines as they arrive; raises on the first one that is not a chat chunk, or at the end when
    no line generated anything."""

    def __init__(self, request: httpx.Request) -> None:
        self._request, self._pending, self._generated = request, b"", False

    def _fail(self, why: str, line: bytes) -> httpx.RemoteProtocolError:
        preview = line[:_PREVIEW].decode("utf-8", "replace")
        return httpx.RemoteProtocolError(f"not an Ollama chat reply: {why} (got {preview!r})", request=self._request)

    def _line(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            part: Any = json.loads(line)
        except ValueError:
            return  # the ollama client raises json.JSONDecodeError on it: already a transport error
        if not isinstance(part, dict):
            raise self._fail(f"a line is a JSON {type(part).__name__}, not an object", line)
        if "error" in part:
            return  # ollama.ResponseError from the client, with Ollama's own message
        if not isinstance(part.get("message"), dict):
            raise self._fail("a line has no 'message' object", line)
        message = part["message"]
        said = message.get("content") or message.get("thinking") or message.get("tool_calls")
        if part.get("done_reason") != "load" and (said or part.get("done")):
            self._generated = True  # text, or the end of a generation (which may be empty: the parser judges that)

    def feed(self, chunk: bytes) -> None:
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        for line in lines:
            self._line(line)

    def end(self) -> None:
        self._line(self._pending)
        self._pending = b""
        if not self._generated:
            raise self._fail("the reply ended without generating anything", b"")


class _Stream(httpx.SyncByteStream):
    """The reply's body decoded (Content-Encoding: a compressing proxy in front of Ollama), so the shape is read
    from the lines themselves; the decoded bytes are what the client gets (see `_rewrap`)."""

    def __init__(self, response: httpx.Response, shape: _Shape) -> None:
        self._response, self._shape = response, shape

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._response.iter_bytes():
            self._shape.feed(chunk)
            yield chunk
        self._shape.end()

    def close(self) -> None:
        self._response.close()


class _AsyncStream(httpx.AsyncByteStream):
    def __init__(self, response: httpx.Response, shape: _Shape) -> None:
        self._response, self._shape = response, shape

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_bytes():
            self._shape.feed(chunk)
            yield chunk
        self._shape.end()

    async def aclose(self) -> None:
        await self._response.aclose()


_ENCODING_HEADERS = ("content-encoding", "content-length")


def _rewrap(response: httpx.Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
    # The stream carries decoded bytes: the original's encoding and length no longer describe them.
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _ENCODING_HEADERS]
    return httpx.Response(response.status_code, headers=headers, stream=stream, extensions=response.extensions)


class ReplyShapeTransport(httpx.BaseTransport):
    """Sync: 200 replies to streamed chats must be Ollama chat chunks (see the module docstring)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if response.status_code != 200 or not _checked(request) or not isinstance(response.stream, httpx.SyncByteStream):
            return response
        return _rewrap(response, _Stream(response, _Shape(request)))

    def close(self) -> None:
        self.inner.close()


class AsyncReplyShapeTransport(httpx.AsyncBaseTransport):
    """Async twin of ReplyShapeTransport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if response.status_code != 200 or not _checked(request) or not isinstance(response.stream, httpx.AsyncByteStream):
            return response
        return _rewrap(response, _AsyncStream(response, _Shape(request)))

    async def aclose(self) -> None:
        await self.inner.aclose()
