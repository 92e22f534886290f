"""Machinery hunt: what a client's request puts into the access log and the request metrics."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol

import app.serve.header_deadline
from app.serve.middleware import ACCESS_LOG
from tests.app.serve.conftest import wait_for


def _raw(port: int, request_line: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return sock.recv(200).split(b"\r\n")[0]


def test_an_access_log_line_is_one_line_without_raw_control_characters(serve, caplog):
    """uvicorn percent-decodes the path; json.dumps(ensure_ascii=False) escapes only C0 controls, so DEL, the C1
    controls (U+0085 NEL, U+009B CSI) and U+2028 went into the log raw: one request's "line" split into three
    for a line reader (str.splitlines), and a terminal tailing the log got control characters from the client."""
    caplog.set_level(logging.INFO, logger=ACCESS_LOG)
    run = serve()
    assert _raw(run.server.port, b"GET /a%7Fb%C2%85c%C2%9Bd%E2%80%A8e%E2%80%A9f HTTP/1.1") == b"HTTP/1.1 404 Not Found"
    wait_for(lambda: any(r.name == ACCESS_LOG and '"status": 404' in r.getMessage() for r in caplog.records))
    line = next(r.getMessage() for r in caplog.records if r.name == ACCESS_LOG and '"status": 404' in r.getMessage())
    assert len(line.splitlines()) == 1
    assert not any(ord(c) == 0x7F or 0x80 <= ord(c) <= 0x9F for c in line)
    assert json.loads(line)["path"] == "/a\x7fb\x85c\x9bd\u2028e\u2029f"  # still the path, escaped


def test_request_metrics_have_a_bounded_method_label(serve, monkeypatch: pytest.MonkeyPatch):
    """uvicorn serves with h11 when httptools is not installed (guarded-rag depends on plain `uvicorn`), and h11
    takes any token as a method: each made-up method became a new series of guarded_rag_http_requests_total,
    so a client could grow the metrics (and every scrape) without bound."""
    monkeypatch.setattr(app.serve.header_deadline, "AutoHTTPProtocol", H11Protocol)
    run = serve()
    for i in range(5):
        assert _raw(run.server.port, f"M{i}X /api/tags HTTP/1.1".encode()).startswith(b"HTTP/1.1 405")
    assert _raw(run.server.port, b"GET /api/tags HTTP/1.1") == b"HTTP/1.1 200 OK"
    registry = run.app.state.served.metrics.registry
    wait_for(lambda: run.metric("guarded_rag_http_requests_total", route="/api/tags", method="GET", status="200") == 1)
    methods = {s.labels["method"] for m in registry.collect() for s in m.samples if "method" in s.labels}
    assert methods == {"GET", "other"}
