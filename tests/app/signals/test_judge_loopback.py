"""The model-judged clarify check end to end: the real service and real ChatOllama over HTTP on 127.0.0.1
against the scripted Ollama double. On only by policy; one extra call, counted and traced as an input-step
model call; never made on the embedded model; a broken judgement is said, never trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.contract import AskOptions
from app.service import GuardedRAG
from tests.fake_service import make_service, ollama_service
from tests.ollama_double import LoopbackOllama, Reply

Q = "Which port does Ollama listen on by default?"
GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}
PRELOAD = Reply.text("")  # the empty-messages chat that loads the model
JUDGE_ON = AskOptions(guardrails={"completeness": {"judge": True}})


@pytest.fixture
def server(httpserver):
    yield httpserver
    httpserver.check_assertions()


def service(tmp_path: Path, host: str) -> GuardedRAG:
    return ollama_service(tmp_path, host, retries=0, reasks=0, timeout=2.0, load_timeout=2.0)


def judge_requests(double: LoopbackOllama) -> list[dict]:
    return [
        r.body
        for r in double.requests
        if r.path == "/api/chat" and r.body.get("messages") and "answerable_as_written" in str(r.body.get("format"))
    ]


def test_a_question_the_model_judges_unclear_is_clarified_before_retrieval(tmp_path, server):
    double = LoopbackOllama(server, [Reply.json_answer({"answerable_as_written": False, "missing": "which port setting"})])
    svc = service(tmp_path, double.url)
    r = svc.ask(Q, options=JUDGE_ON)
    assert r.status == "clarify" and r.llm_calls == 1
    event = next(e for e in r.events if e.step == "input" and e.name == "completeness")
    assert event.outcome == "fired" and "answering model judged" in event.reason
    assert any("which port setting" in e for e in event.evidence)
    call = next(e for e in r.events if e.name == "model_call")
    assert call.step == "input" and call.outcome == "ok" and call.model == "qwen2.5:3b"
    assert not any(e.step == "retrieval" for e in r.events)
    [sent] = judge_requests(double)
    assert sent["format"]["required"] == ["answerable_as_written", "missing"] and sent["messages"][-1]["content"].startswith(
        f"Question: {Q}"
    )


def test_a_question_judged_clear_goes_on_and_costs_one_more_call(tmp_path, server):
    replies = [Reply.json_answer({"answerable_as_written": True, "missing": ""}), PRELOAD, Reply.json_answer(GOOD)]
    double = LoopbackOllama(server, replies)
    svc = service(tmp_path, double.url)
    r = svc.ask(Q, options=JUDGE_ON)
    assert r.status == "answered" and r.llm_calls == 2
    assert [e.step for e in r.events if e.name == "model_call"] == ["input", "generation"]
    assert len(judge_requests(double)) == 1


def test_an_unparseable_judgement_is_not_trusted_and_the_verdict_says_so(tmp_path, server):
    replies = [Reply.text("I think the question is fine."), PRELOAD, Reply.json_answer(GOOD)]
    double = LoopbackOllama(server, replies)
    svc = service(tmp_path, double.url)
    r = svc.ask(Q, options=JUDGE_ON)
    assert r.status == "answered"
    verdict = next(g for g in r.guardrails if g.name == "completeness")
    assert not verdict.fired and "model judgement failed: OutputParserException" in verdict.reason


def test_off_by_default_no_judge_call_is_made(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.json_answer(GOOD)])
    svc = service(tmp_path, double.url)
    r = svc.ask(Q)
    assert r.status == "answered" and r.llm_calls == 1 and judge_requests(double) == []


def test_never_on_the_embedded_model(tmp_path):
    svc, _factory = make_service(tmp_path, scripts={"smollm2:135m": [json.dumps(GOOD)]})  # the embedded backend, scripted
    r = svc.ask(Q, options=JUDGE_ON)
    assert r.status == "answered" and r.llm_calls == 1
    verdict = next(g for g in r.guardrails if g.name == "completeness")
    assert "never runs on the embedded model" in verdict.reason
