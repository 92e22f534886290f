"""A check that a 200 answer to POST /api/chat has Ollama's chat shape, as an httpx transport wrapper on the wire.

A server that answers 200 with no lines (a proxy, a misconfigured gateway), with JSON lines that are not chat
chunks (`{"foo": 1}`, a list, `"message": "text"`), or with nothing but a model-load line makes the ollama client
and ChatOllama raise ValueError, pydantic's ValidationError or AttributeError: errors too broad for the ladder to
treat as "the model server failed" (they also mean bugs), so the question ended as an error instead of retrying
and falling back. This layer turns those replies into httpx.RemoteProtocolError, one of TRANSPORT_ERRORS, with
a message saying what came back. Lines that are not JSON at all already fail as json.JSONDecodeError (also a
transport error) and an `{"error": ...}` line as ollama.ResponseError, so both pass through untouched. A chunk whose
content holds a lone surrogate (a `\\ud800` escape: JSON allows it, Unicode text cannot hold it) made ChatOllama's
AIMessage fail pydantic's validation, and the question ended as an error showing that validation text: it is a
transport error too, and so is a reply running far past the num_predict it was sent (see CHARS_PER_TOKEN).

Only chat requests with messages and streaming on are checked (ChatOllama's calls); the empty-messages chat
that loads a model legitimately answers with a load line alone. Composition-root code, like deadline.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

_PREVIEW = 80
_SURROGATE = re.compile("[\ud800-\udfff]")


CHARS_PER_TOKEN = 128
"""A reply may hold at most num_predict * CHARS_PER_TOKEN characters (content and thinking): far more than any
tokenizer's longest token, so only a server that ignores num_predict reaches it. ChatOllama merges every streamed
chunk into the reply at a cost that grows with the square of its length (measured: 400 K characters in 2.2 s of CPU,
2 M in 45 s, holding the GIL, per attempt), so the question's budget was the only bound."""
_NUM_PREDICT_MAX = 8192  # app.settings' upper bound: the limit when a request sends no (or an unbounded) num_predict


def _checked(request: httpx.Request) -> dict[str, Any] | None:
    """The request's body when its reply is checked: a streamed chat with messages (ChatOllama's calls)."""
    if request.method != "POST" or not request.url.path.endswith("/api/chat"):
        return None
    try:
        body = json.loads(request.content or b"{}")
    except (ValueError, httpx.RequestNotRead):  # a streamed request body: not the ollama client's
        return None
    if isinstance(body, dict) and body.get("messages") and body.get("stream", True) is not False:
        return body
    return None


def _max_chars(body: dict[str, Any]) -> int:
    options = body.get("options")
    wanted = options.get("num_predict") if isinstance(options, dict) else None
    tokens = wanted if isinstance(wanted, int) and 0 < wanted <= _NUM_PREDICT_MAX else _NUM_PREDICT_MAX
    return tokens * CHARS_PER_TOKEN


class _Shape:
    """Reads NDJSON lines as they arrive; raises on the first one that is not a chat chunk, at the one that takes
    the reply past `max_chars`, or at the end when no line generated anything."""

    def __init__(self, request: httpx.Request, max_chars: int) -> None:
        self._request, self._pending, self._generated = request, b"", False
        self._chars, self._max_chars = 0, max_chars

    def _fail(self, why: str, line: bytes, *, lead: str = "not an Ollama chat reply") -> httpx.RemoteProtocolError:
        preview = line[:_PREVIEW].decode("utf-8", "replace")
        return httpx.RemoteProtocolError(f"{lead}: {why} (got {preview!r})", request=self._request)

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
        if isinstance(message.get("content"), str) and _SURROGATE.search(message["content"]):
            raise self._fail("a line's content holds a lone surrogate escape (not Unicode text)", line)
        self._chars += sum(len(text) for text in (message.get("content"), message.get("thinking")) if isinstance(text, str))
        if self._chars > self._max_chars:
            why = f"the reply ran past {self._max_chars:,} characters, more than its num_predict allows"
            raise self._fail(why, line, lead="the server does not honour num_predict")
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
        body = _checked(request)
        if response.status_code != 200 or body is None or not isinstance(response.stream, httpx.SyncByteStream):
            return response
        return _rewrap(response, _Stream(response, _Shape(request, _max_chars(body))))

    def close(self) -> None:
        self.inner.close()


class AsyncReplyShapeTransport(httpx.AsyncBaseTransport):
    """Async twin of ReplyShapeTransport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = _checked(request)
        if response.status_code != 200 or body is None or not isinstance(response.stream, httpx.AsyncByteStream):
            return response
        return _rewrap(response, _AsyncStream(response, _Shape(request, _max_chars(body))))

    async def aclose(self) -> None:
        await self.inner.aclose()
