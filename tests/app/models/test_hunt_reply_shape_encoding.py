"""A reverse proxy in front of Ollama that compresses its replies (Caddy's `encode gzip`, Traefik's compress
middleware, nginx with gzip_types covering NDJSON) sends the chat stream with Content-Encoding: gzip. httpx
decodes it for the client, but the reply-shape check read the raw, still-compressed bytes: it found no JSON line
and failed every well-formed streamed chat as "not an Ollama chat reply", so a working Ollama was never used."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.models.factory import ModelFactory
from app.models.transport_errors import TRANSPORT_ERRORS
from app.settings import Settings
from tests.ollama_double import ScriptedEngine

NDJSON = "application/x-ndjson"
ANSWER = {"answer": "Ollama listens on port 11434."}


def _chat_lines() -> bytes:
    text = json.dumps(ANSWER)
    head = {"model": "m", "created_at": "2024-01-01T00:00:00Z"}
    pieces = [text[i : i + 8] for i in range(0, len(text), 8)]
    lines = [{**head, "message": {"role": "assistant", "content": p}, "done": False} for p in pieces]
    lines.append({**head, "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"})
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


ENCODINGS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "deflate": zlib.compress}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_compressed_chat_stream_is_read_as_the_chat_it_is(httpserver: HTTPServer, encoding: str, mode: str) -> None:
    body = ENCODINGS[encoding](_chat_lines())

    def handler(request: Request) -> Response:
        return Response(body, status=200, headers={"Content-Type": NDJSON, "Content-Encoding": encoding})

    httpserver.expect_request("/api/chat", method="POST").respond_with_handler(handler)
    settings = Settings(ollama_host=httpserver.url_for("/").rstrip("/"))
    chat = ModelFactory(settings, engine=ScriptedEngine()).chat_model("ollama", "m", timeout=5)
    reply = chat.invoke("q") if mode == "sync" else asyncio.run(chat.ainvoke("q"))
    assert json.loads(str(reply.content)) == ANSWER


# -- a reply whose Content-Encoding does not match its body -------------------------------------------------
# A proxy that labels a body gzip without compressing it (or mangles it) makes httpx raise httpx.DecodingError:
# a server failure like a cut-off stream, but it was not one of TRANSPORT_ERRORS, so the ladder neither retried
# nor fell back to the embedded model (the question ended as "a bug"), and describe() let it escape.


def _mislabelled(httpserver: HTTPServer, path: str) -> None:
    def handler(request: Request) -> Response:
        return Response(b'{"not": "gzip"}\n', status=200, headers={"Content-Type": NDJSON, "Content-Encoding": "gzip"})

    httpserver.expect_request(path, method="POST").respond_with_handler(handler)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_body_that_does_not_decode_is_a_transport_error(httpserver: HTTPServer, mode: str) -> None:
    _mislabelled(httpserver, "/api/chat")
    settings = Settings(ollama_host=httpserver.url_for("/").rstrip("/"))
    chat = ModelFactory(settings, engine=ScriptedEngine()).chat_model("ollama", "m", timeout=5)
    with pytest.raises(TRANSPORT_ERRORS):
        chat.invoke("q") if mode == "sync" else asyncio.run(chat.ainvoke("q"))


def test_describe_reports_a_body_that_does_not_decode(httpserver: HTTPServer) -> None:
    _mislabelled(httpserver, "/api/show")
    factory = ModelFactory(Settings(ollama_host=httpserver.url_for("/").rstrip("/")), engine=ScriptedEngine())
    info = factory.describe("ollama", "m", timeout=5)
    assert info.error is not None and "DecodingError" in info.error
