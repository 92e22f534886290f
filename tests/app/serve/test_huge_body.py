"""A huge question over HTTP is refused on its size before the body is read, with the default limits: the
service is never asked and nothing is stored (the CLI path took 66 s and a 48 MB trace for a 50 MB question)."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httpx

from tests.app.serve.conftest import Q

HUGE = 50 * 1024 * 1024


def test_a_declared_50_mb_body_is_a_413_before_the_body_is_sent(serve):
    run = serve()  # the default limits (GUARDED_RAG_MAX_BODY_KB)
    url = urlsplit(run.url)
    head = b'{"model": "guarded-rag", "messages": [{"role": "user", "content": "'
    request = (
        f"POST /api/chat HTTP/1.1\r\nHost: {url.hostname}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {HUGE}\r\nConnection: close\r\n\r\n"
    ).encode() + head
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)  # the headers and 70 bytes of a 50 MB body: the rest is never sent
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status, _, body = reply.partition(b"\r\n\r\n")
    assert status.split(b" ")[1] == b"413"
    assert "GUARDED_RAG_MAX_BODY_KB" in json.loads(body)["error"]
    assert run.metric("guarded_rag_rejected_total", reason="too_large") == 1
    assert run.svc.traces.count() == 0 and run.model.calls == []


def test_a_message_within_the_body_limit_but_beyond_the_message_limit_is_a_413(serve):
    run = serve()
    r = httpx.post(
        run.url + "/v1/chat/completions",
        json={"model": "guarded-rag", "messages": [{"role": "user", "content": Q + " x" * 60_000}]},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "message_too_large"
    assert run.svc.traces.count() == 0 and run.model.calls == []
