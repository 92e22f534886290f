"""What a user is told when Ollama (or a proxy in front of it) fails with a body that is not Ollama's one-line
error, and which backend the result names when the embedded rung answered for a failing Ollama: the real service
and ChatOllama over HTTP on 127.0.0.1 against the scripted Ollama double."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli.main import main
from app.embedded.engine import EngineError
from app.service import GuardedRAG
from chains.trace import TRACE_TEXT_MAX_CHARS
from tests.fake_service import ollama_service
from tests.ollama_double import Gen, LoopbackOllama, Reply, ScriptedEngine

Q = "Which port does Ollama listen on by default?"
GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}
PRELOAD = Reply.text("")
# A proxy's error page: markup, a script, and a megabyte of padding after the part worth reading.
PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title><script>var x = '<b>';</script></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25.3</center>\n"
    + "<!-- padding -->" * 65_536
    + "</body></html>"
)


@pytest.fixture
def server(httpserver):
    yield httpserver
    httpserver.check_assertions()


def service(tmp_path: Path, host: str, engine_script=()) -> GuardedRAG:
    engine = ScriptedEngine(list(engine_script))
    return ollama_service(tmp_path, host, engine=engine, retries=1, reasks=0, timeout=2.0, load_timeout=2.0)


def test_an_html_error_page_is_one_short_line_for_the_user_and_whole_in_the_trace(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.body(502, PAGE), Reply.body(502, PAGE)])
    svc = service(tmp_path, double.url, [Gen(error=EngineError("embedded down"))] * 2)
    out = io.StringIO()
    code = main(["ask", "--json", Q], out, build=lambda s: svc)
    result = json.loads(out.getvalue())
    assert code == 0 and result["status"] == "fallback" and result["rung"] == "extractive"
    message = result["message"]
    assert message.startswith("No model gave a usable answer (the first one failed: HTTP 502: 502 Bad Gateway); ")
    assert "<" not in message and "padding" not in message and len(message) < 400
    # the trace keeps the body itself (capped), for whoever reads it
    failed = [e for e in svc.traces.get(result["trace_id"]).events if e.name == "model_call" and e.outcome == "error"]
    assert failed and "<title>502 Bad Gateway</title>" in failed[0].reason
    assert all(len(e.reason) <= TRACE_TEXT_MAX_CHARS for e in failed)
    svc.close()


def test_the_human_output_shows_the_short_line_too(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.body(500, PAGE), Reply.body(500, PAGE)])
    svc = service(tmp_path, double.url, [Gen(error=EngineError("embedded down"))] * 2)
    out = io.StringIO()
    main(["ask", Q], out, build=lambda s: svc)
    text = out.getvalue()
    assert "HTTP 500: 502 Bad Gateway" in text and "<" not in text and "padding" not in text
    svc.close()


def test_backend_names_the_embedded_rung_that_answered_for_a_failing_ollama(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.status(500, "llama runner crashed"), Reply.status(500, "crashed")])
    svc = service(tmp_path, double.url, [Gen.json_answer(GOOD)])
    out = io.StringIO()
    assert main(["ask", "--json", Q], out, build=lambda s: svc) == 0
    result = json.loads(out.getvalue())
    assert result["rung"] == "embedded" and result["model"] == "smollm2:135m"
    assert result["backend"] == "embedded" and result["configured_backend"] == "ollama"
    assert svc.traces.get(result["trace_id"]).backend == "embedded"  # the stored trace says who answered, too
    svc.close()


def test_backend_stays_ollama_when_ollama_answered(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.json_answer(GOOD)])
    svc = service(tmp_path, double.url)
    r = svc.ask(Q)
    assert r.status == "answered" and r.rung == "primary"
    assert r.backend == r.configured_backend == "ollama"
    svc.close()
