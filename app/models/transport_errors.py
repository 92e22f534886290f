"""What counts as a transport failure: the narrow tuple of errors ChatOllama raises when the model *server* fails,
which the ladder retries and falls back on (and nothing broader, which would hide bugs)."""

from __future__ import annotations

import json

import httpx
import ollama

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
    ollama.ResponseError,
    json.JSONDecodeError,
)
"""What ChatOllama raises when the model *server* fails (each one reproduced in tests/app/models/test_chatollama_contract.py):

- ConnectionError (builtin): connection refused on a non-streaming call (ollama.Client turns httpx.ConnectError
  into it).
- httpx.NetworkError: connection refused on a *streaming* call, which is what ChatOllama makes; the ollama client's
  stream path does not translate httpx.ConnectError. Also ReadError/WriteError on a dropped socket.
- httpx.TimeoutException: connect/read timeout (ReadTimeout: no byte within `timeout`; the read timeout applies
  per read, so a stream that stalls longer than `timeout` raises it mid-answer). The embedded transport raises it too.
- httpx.RemoteProtocolError: the server closed the connection mid-response.
- httpx.DecodingError: a body that does not decode as its Content-Encoding says (a proxy that labels it gzip and
  does not compress it, or mangles it); reproduced in tests/app/models/test_hunt_reply_shape_encoding.py.
- ollama.ResponseError: an HTTP 4xx/5xx (`.status_code`: 404 model not pulled, 500, 503 ...) or an `{"error"}`
  line in the middle of a stream (`.status_code == -1`).
- json.JSONDecodeError: a truncated/garbled NDJSON line in the stream. Narrower than ValueError, but parsers above
  must raise their own error type (e.g. OutputParserException) for bad *model text*, or a parse failure would be
  retried as a transport failure.
Not included, on purpose: ValueError, pydantic's ValidationError and AttributeError, which ChatOllama raises for a
200 that is not a chat reply (no lines, only a done_reason="load" line, `{"foo": 1}`, a list): too broad to catch,
they also mean bugs. Such replies are turned into httpx.RemoteProtocolError on the wire instead
(app.models.reply_shape), so they retry and fall back like any server failure. AssertionError (an exhausted test
double) and guardrail violations must propagate.
"""
