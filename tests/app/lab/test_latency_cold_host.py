"""The latency experiment's cold calls unload the model on the host the session's settings name (the Experiments
page passes a session's AskOptions), not on the service's configured Ollama host: two scripted Ollamas on loopback,
the service pointed at one, the session at the other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app import AskOptions
from app.lab.experiments.latency import run_latency
from tests.fake_service import ollama_service
from tests.ollama_double import LoopbackOllama, Reply

ANSWER = Reply.json_answer({"answer": "Ollama listens on port 11434.", "citations": ["S1"]})


def unloads(server: HTTPServer) -> list[dict[str, Any]]:
    """Record POST /api/generate (Ollama's unload: keep_alive 0 and no prompt) and answer it as Ollama does."""
    seen: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        seen.append(body)
        return Response(json.dumps({"model": body.get("model"), "response": "", "done": True}), content_type="application/json")

    server.expect_request("/api/generate", method="POST").respond_with_handler(handler)
    return seen


@pytest.fixture
def session_server():
    own = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    own.start()
    yield own
    own.clear()
    own.stop()


def test_cold_calls_unload_the_model_on_the_sessions_host(tmp_path: Path, httpserver, session_server) -> None:
    configured = LoopbackOllama(httpserver, [])  # no replies: a chat here fails loudly
    configured_unloads = unloads(httpserver)
    session = LoopbackOllama(session_server, [ANSWER] * 4)  # one cold, the warm-up, two warm
    session_unloads = unloads(session_server)
    svc = ollama_service(tmp_path, configured.url, model="qwen2.5:3b", timeout=5.0, load_timeout=5.0)
    result = run_latency(svc, n=2, cold=1, options=AskOptions(settings={"ollama_host": session.url}))
    assert [r["phase"] for r in result.report.rows] == ["cold", "warm", "warm"]
    assert [(u.get("model"), u.get("keep_alive")) for u in session_unloads] == [("qwen2.5:3b", 0)]
    assert configured_unloads == []  # the service's own host is left alone: another session's model stays loaded
    assert not [r for r in configured.requests if r.path == "/api/chat"]
    session_server.check_assertions()
    httpserver.check_assertions()
