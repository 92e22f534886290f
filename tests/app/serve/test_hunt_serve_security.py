"""Security hunt on the HTTP server with raw clients: the bearer token, web pages' origins, compressed bodies,
what the public probes tell a client without the token."""

from __future__ import annotations

import gzip
import json
import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.serve.metrics import Metrics
from app.serve.middleware import BearerAuth
from tests.app.serve.conftest import Q

ASK = json.dumps({"question": Q}).encode()


def _status(port: int, head: bytes) -> bytes:
    """The status line of a raw request (`head`: request line and headers, without the blank line)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return sock.recv(200).split(b"\r\n")[0]


def test_two_authorization_headers_are_refused_whichever_comes_first(serve):
    """The check read the last Authorization header and Starlette (and proxies) the first: a wrong first token and
    the right one after it passed, the right one first and a wrong one after it did not."""
    run = serve(api_token="sekret")
    port = run.server.port
    assert _status(port, b"GET /api/tags HTTP/1.1\r\nAuthorization: Bearer sekret") == b"HTTP/1.1 200 OK"
    wrong_first = b"GET /api/tags HTTP/1.1\r\nAuthorization: Bearer wrong\r\nAuthorization: Bearer sekret"
    right_first = b"GET /api/tags HTTP/1.1\r\nAuthorization: Bearer sekret\r\nAuthorization: Bearer wrong"
    assert _status(port, wrong_first) == b"HTTP/1.1 401 Unauthorized"
    assert _status(port, right_first) == b"HTTP/1.1 401 Unauthorized"
    assert run.metric("guarded_rag_rejected_total", reason="unauthorized") == 2


def test_a_configured_token_with_surrounding_spaces_is_the_token_without_them(serve):
    """The header's token was stripped and the configured one was not: a token set as "sekret " (a copied line, a
    file with its newline) matched no header at all, so every client was refused."""
    run = serve(api_token=" sekret\n")
    ok = httpx.get(run.url + "/api/tags", headers={"Authorization": "Bearer sekret"})
    assert ok.status_code == 200
    assert httpx.get(run.url + "/api/tags", headers={"Authorization": "Bearer sekre"}).status_code == 401


@pytest.mark.parametrize("token", ["", "  "])
def test_a_blank_token_authorizes_nothing(token: str):
    """Settings turn a blank token into "no token"; the check itself must not let `Authorization: Bearer ` match a
    blank one either (it did: compare_digest(b"", b"")), whoever builds it."""
    ok = Starlette(routes=[Route("/api/tags", lambda request: PlainTextResponse("ok"))])
    client = TestClient(BearerAuth(ok, token=token, metrics=Metrics()), base_url="http://127.0.0.1")
    for header in ("Bearer", "Bearer ", "bearer   "):
        assert client.get("/api/tags", headers={"Authorization": header}).status_code == 401, header
    assert client.get("/api/tags").status_code == 401


def test_a_wildcard_origin_list_lets_every_page_in_as_its_cors_headers_say(serve):
    """GUARDED_RAG_CORS_ORIGINS=* (Ollama's OLLAMA_ORIGINS=*): the CORS middleware answered every page's preflight
    with "Access-Control-Allow-Origin: *" while LocalGuard refused each of the page's requests with 403."""
    run = serve(cors_origins="*")
    page = {"Origin": "https://ui.example"}
    preflight = httpx.options(run.url + "/api/tags", headers={**page, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    reply = httpx.get(run.url + "/api/tags", headers=page)
    assert reply.status_code == 200 and reply.headers["access-control-allow-origin"] == "*"
    # the DNS-rebinding check does not depend on the origin list
    rebinding = httpx.get(run.url + "/api/tags", headers={**page, "Host": "ui.example"})
    assert rebinding.status_code == 403


def test_an_explicit_origin_list_still_refuses_other_pages(serve):
    run = serve(cors_origins="https://ui.example")
    assert httpx.get(run.url + "/api/tags", headers={"Origin": "https://ui.example"}).status_code == 200
    assert httpx.get(run.url + "/api/tags", headers={"Origin": "https://evil.example"}).status_code == 403


def test_a_compressed_body_is_refused_as_such_not_as_broken_json(serve):
    """A gzip body (the server does not decompress: no zip bomb) was a 400 "invalid JSON ... UnicodeDecodeError:
    'utf-8' codec can't decode byte 0x8b", which reads as a broken client rather than an unsupported encoding."""
    run = serve()
    body = {"model": "guarded-rag", "messages": [{"role": "user", "content": Q}], "stream": False}
    zipped = gzip.compress(json.dumps(body).encode())
    for path in ("/api/chat", "/v1/chat/completions", "/v1/ask"):
        r = httpx.post(run.url + path, content=zipped, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        assert r.status_code == 415, path
        assert "Content-Encoding 'gzip'" in r.text and "uncompressed" in r.text and "UnicodeDecodeError" not in r.text
    openai = httpx.post(run.url + "/v1/chat/completions", content=zipped, headers={"Content-Encoding": "GZIP"})
    assert openai.json()["error"]["type"] == "invalid_request_error"
    assert openai.json()["error"]["code"] == "unsupported_content_encoding"
    assert run.svc.traces.count() == 0  # nothing was asked
    identity = httpx.post(run.url + "/api/show", json={"model": "guarded-rag"}, headers={"Content-Encoding": "identity"})
    assert identity.status_code == 200


def test_readyz_without_the_token_says_only_whether_the_server_is_ready(serve):
    """/readyz is public (probes carry no token) and told anyone who could reach the port the backend (an Ollama
    host on the internal network, its model), every profile's name and how many documents each index holds."""
    run = serve(api_token="sekret", profiles={"secret-project": {"collection": "nothing_here"}})
    public = httpx.get(run.url + "/readyz")
    assert public.status_code == 503 and public.json() == {"ready": False}
    detailed = httpx.get(run.url + "/readyz", headers={"Authorization": "Bearer sekret"})
    assert detailed.status_code == 503 and not detailed.json()["profiles"]["guarded-rag:secret-project"]["ok"]
    assert detailed.json()["backend"]["ok"] and detailed.json()["index"]["ok"]
    wrong = httpx.get(run.url + "/readyz", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 503 and wrong.json() == {"ready": False}
    ready = serve(api_token="sekret")
    assert httpx.get(ready.url + "/readyz").json() == {"ready": True}
    assert httpx.get(ready.url + "/healthz").json() == {"status": "ok"}  # the other public paths answer as before
    assert httpx.get(ready.url + "/").status_code == 200
