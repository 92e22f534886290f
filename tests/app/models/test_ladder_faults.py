"""Each Ollama fault, end to end: the real service and real ChatOllama over real HTTP on 127.0.0.1 against a
scripted Ollama double; the embedded rung runs the real in-process transport on a scripted engine. Asserts
the status, the ladder rung that answered, and the trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.service import GuardedRAG
from tests.fake_service import ollama_service
from tests.ollama_double import Gen, LoopbackOllama, Reply, ScriptedEngine, closed_port

Q = "Which port does Ollama listen on by default?"
GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}
PRELOAD = Reply.text("")  # the empty-messages chat that loads the model
NDJSON = "application/x-ndjson"
NOT_CHAT = Reply("body", code=200, message=NDJSON, content='{"status": "ok", "done": true}\n')
JSON_LIST = Reply("body", code=200, message=NDJSON, content="[1, 2]\n")
ONLY_LOAD = Reply.text("", done_reason="load")


@pytest.fixture
def server(httpserver):
    """Over HTTP an exhausted script reaches the client as a 500 (a transport error the ladder would absorb),
    so every loopback test also re-raises the double's own assertion afterwards."""
    yield httpserver
    httpserver.check_assertions()


def service(tmp_path: Path, host: str, engine_script=(), **overrides) -> tuple[GuardedRAG, ScriptedEngine]:
    engine = ScriptedEngine(list(engine_script))
    settings = {"retries": 1, "reasks": 1, "timeout": 0.5, "load_timeout": 2.0, **overrides}
    return ollama_service(tmp_path, host, engine=engine, **settings), engine


def trace(result) -> list[str]:
    return [f"{e.step}:{e.name}:{e.outcome}" for e in result.events]


@pytest.mark.parametrize(
    ("replies", "error_text"),
    [
        (
            [
                PRELOAD,
                Reply.status(404, 'model "qwen2.5:3b" not found, try pulling it first'),
                Reply.status(404, 'model "qwen2.5:3b" not found, try pulling it first'),
            ],
            "not found",
        ),
        ([PRELOAD, Reply.status(500, "llama runner crashed"), Reply.status(500, "llama runner crashed")], "500"),
        ([PRELOAD, Reply.status(503, "server busy"), Reply.status(503, "server busy")], "busy"),
        ([PRELOAD, Reply.midstream_error("out of memory"), Reply.midstream_error("out of memory")], "out of memory"),
        ([PRELOAD, Reply.truncated_ndjson(), Reply.truncated_ndjson()], "JSONDecodeError"),
        # 200 answers that are not Ollama's chat shape (a proxy, a gateway): ChatOllama alone raises ValueError,
        # ValidationError or AttributeError; app.models.reply_shape makes them transport errors.
        ([PRELOAD, Reply.empty_stream(), Reply.empty_stream()], "ended without generating anything"),
        ([PRELOAD, NOT_CHAT, NOT_CHAT], "has no 'message' object"),
        ([PRELOAD, JSON_LIST, JSON_LIST], "is a JSON list"),
        ([PRELOAD, ONLY_LOAD, ONLY_LOAD], "ended without generating anything"),
        # last: the double serves one request at a time, and this one's handler sleeps on after the client gave up
        ([PRELOAD, Reply.slow(2.0, then=Reply.json_answer(GOOD)), Reply.slow(2.0, then=Reply.json_answer(GOOD))], "Timeout"),
    ],
    ids=[
        "404-model-missing",
        "500",
        "503-busy",
        "midstream-error",
        "truncated-ndjson",
        "empty-200",
        "not-a-chat-chunk",
        "json-list",
        "only-a-load-line",
        "slow-beyond-timeout",
    ],
)
def test_transport_fault_retries_then_embedded_rung_answers(tmp_path, server, replies, error_text):
    double = LoopbackOllama(server, replies)
    svc, _engine = service(tmp_path, double.url, [Gen.json_answer(GOOD)])
    r = svc.ask(Q)
    assert r.status == "fallback" and r.rung == "embedded" and r.model == "smollm2:135m"
    assert r.answer == GOOD["answer"] and r.citations[0].source == "ollama-port.md"
    steps = trace(r)
    errors = [e for e in r.events if e.name == "model_call" and e.outcome == "error"]
    assert len(errors) == 2 and all(error_text.lower() in e.reason.lower() for e in errors)
    assert steps.count("generation:transport_retry:retry") == 1
    assert steps.index("fallback:rung:embedded:fallback") > steps.index("generation:transport_retry:retry")
    assert r.llm_calls == 3


def test_connection_refused(tmp_path):
    svc, _ = service(tmp_path, f"http://127.0.0.1:{closed_port()}", [Gen.json_answer(GOOD)])
    r = svc.ask(Q)
    assert r.status == "fallback" and r.rung == "embedded"
    load = next(e for e in r.events if e.name == "model_load")
    assert load.outcome == "error" and load.model == "qwen2.5:3b"
    assert "ConnectError" in next(e for e in r.events if e.name == "model_call").reason


def test_prose_instead_of_json_is_reasked_on_the_same_model(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.text("The default port is 11434."), Reply.json_answer(GOOD)])
    svc, _engine = service(tmp_path, double.url)
    r = svc.ask(Q)
    assert r.status == "answered" and r.rung == "primary" and r.llm_calls == 2
    assert "generation:reask:reask" in trace(r)
    sent = [req.body for req in double.requests if req.path == "/api/chat" and req.body.get("messages")]
    assert sent[0]["format"]["properties"]["citations"]["items"]["enum"] == ["S1", "S2", "S3"]
    assert sent[1]["messages"][-2]["content"] == "The default port is 11434."  # the rejected reply fed back
    assert sent[0]["options"]["num_ctx"] == 2048 and "temperature" in sent[0]["options"]
    # the answer cap is derived from num_predict so a constrained reply can always close its JSON
    assert sent[0]["format"]["properties"]["answer"]["maxLength"] == (sent[0]["options"]["num_predict"] - 64) // 3


def test_json_in_a_code_fence_is_repaired_without_reask(tmp_path, server):
    fenced = "```json\n" + json.dumps(GOOD) + "\n```"
    double = LoopbackOllama(server, [PRELOAD, Reply.text(fenced)])
    svc, _ = service(tmp_path, double.url)
    r = svc.ask(Q)
    parse = next(e for e in r.events if e.name == "parse_ladder")
    assert r.status == "answered" and r.llm_calls == 1 and parse.details["rung"] == "lenient"
    assert parse.raw_output == fenced


def test_citation_outside_the_retrieved_set_is_reasked(tmp_path, server):
    wrong = {"citations": ["S9"], "answer": GOOD["answer"]}
    double = LoopbackOllama(server, [PRELOAD, Reply.json_answer(wrong), Reply.json_answer(GOOD)])
    svc, _ = service(tmp_path, double.url)
    r = svc.ask(Q)
    assert r.status == "answered" and r.llm_calls == 2
    assert "output:citations:fired" in trace(r) and [c.label for c in r.citations] == ["S1"]


def test_circuit_opens_and_skips_ollama_on_the_next_question(tmp_path):
    svc, _engine = service(
        tmp_path, f"http://127.0.0.1:{closed_port()}", [Gen.json_answer(GOOD), Gen.json_answer(GOOD)], breaker_failures=1
    )
    first = svc.ask(Q)
    second = svc.ask(Q)
    assert first.rung == second.rung == "embedded"
    assert "generation:circuit_breaker:skipped" in trace(second)
    assert not any(e.name == "model_call" and e.outcome == "error" for e in second.events)
