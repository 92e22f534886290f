"""Real-Ollama edge cases, each against the scripted Ollama double over real HTTP on 127.0.0.1, through the real
service, ChatOllama and ladder: thinking models, an Ollama without JSON-schema `format`, a model whose context is
smaller than num_ctx, replies cut off at num_predict or at the context, and a model unloaded after a long pause."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.models.factory import ModelFactory
from app.service import GuardedRAG
from app.settings import Settings
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.fake_service import write_docs
from tests.ollama_double import LoopbackOllama, Reply, ScriptedEngine

Q = "Which port does Ollama listen on by default?"
GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}
PRELOAD = Reply.text("")  # the empty-messages chat that loads the model


@pytest.fixture
def server(httpserver):
    yield httpserver
    httpserver.check_assertions()


LONG_DOCS = {  # passages long enough that a 1024-token context cannot hold all four retrieved chunks
    f"port-{i}.md": f"# Ollama port {i}\n\n" + f"Ollama listens on port 11434 by default, note {i}. " * 40 for i in range(4)
}


def service(
    tmp_path: Path, double: LoopbackOllama, model: str, docs: dict[str, str] | None = None, **overrides: Any
) -> GuardedRAG:
    settings = Settings(
        **{
            "home": tmp_path / "home",
            "docs_dir": write_docs(tmp_path / "docs", docs) if docs else write_docs(tmp_path / "docs"),
            "backend": "ollama",
            "ollama_host": double.url,
            "model": model,
            "retries": 0,
            "reasks": 1,
            "timeout": 2.0,
            "load_timeout": 5.0,
            **overrides,
        }
    )
    svc = GuardedRAG(
        settings, embeddings=BagOfWordsEmbeddings(), factory=ModelFactory(settings, engine=ScriptedEngine()), reraise_bugs=True
    )
    svc.ingest()
    return svc


def chats(double: LoopbackOllama) -> list[dict[str, Any]]:
    """The generation requests the app sent (the preload has no messages)."""
    return [r.body for r in double.requests if r.path == "/api/chat" and r.body.get("messages")]


def events(result: Any, name: str) -> list[Any]:
    return [e for e in result.events if e.name == name]


# -- thinking models ------------------------------------------------------------------------------------


def test_a_thinking_model_is_asked_with_thinking_off(tmp_path: Path, server) -> None:
    double = LoopbackOllama(
        server,
        [PRELOAD, Reply.json_answer(GOOD)],
        models=("qwen3:4b",),
        shows={"qwen3:4b": {"family": "qwen3", "capabilities": ["completion", "thinking"]}},
    )
    r = service(tmp_path, double, "qwen3:4b").ask(Q)
    assert r.status == "answered" and r.answer == GOOD["answer"]
    assert [c.get("think") for c in chats(double)] == [False]
    assert any("thinking switched off" in e.reason for e in events(r, "model_setup"))


def test_a_model_that_cannot_stop_thinking_has_its_reasoning_traced_and_only_its_answer_parsed(tmp_path: Path, server) -> None:
    reasoning = "The user asks about the port. Source S1 says 11434. I will answer with S1."
    double = LoopbackOllama(
        server,
        [PRELOAD, Reply.text(json.dumps(GOOD), thinking=reasoning)],
        models=("gpt-oss:20b",),
        shows={"gpt-oss:20b": {"family": "gptoss", "capabilities": ["completion", "thinking"]}},
    )
    r = service(tmp_path, double, "gpt-oss:20b").ask(Q)
    assert r.status == "answered" and r.answer == GOOD["answer"]
    assert [c.get("think") for c in chats(double)] == ["low"]
    (thought,) = events(r, "thinking")
    assert thought.evidence == (reasoning,) and "only the answer content is parsed" in thought.reason
    assert "The user asks" not in (r.answer or "")


def test_think_tags_in_the_content_are_kept_apart(tmp_path: Path, server) -> None:
    """deepseek-r1 on an Ollama that does not split thinking: <think>…</think> arrives inside the content."""
    content = "<think>\nS1 mentions the port 11434.\n</think>\n\n" + json.dumps(GOOD)
    double = LoopbackOllama(server, [PRELOAD, Reply.text(content)], models=("deepseek-r1:7b",))
    r = service(tmp_path, double, "deepseek-r1:7b").ask(Q)
    assert r.status == "answered" and r.answer == GOOD["answer"]
    (thought,) = events(r, "thinking")
    assert thought.evidence == ("S1 mentions the port 11434.",)
    assert [c.get("think") for c in chats(double)] == [None]  # no `think` sent to a model without the capability


@pytest.mark.parametrize(
    "all_thinking",
    [Reply.text("", thinking="Let me think about ports. " * 20), Reply.text("<think>Let me think about ports, and on and on")],
    ids=["thinking-field", "unclosed-think-tag"],
)
def test_a_reply_that_is_all_thinking_is_a_typed_failure_that_reasks(tmp_path: Path, server, all_thinking: Reply) -> None:
    double = LoopbackOllama(
        server,
        [PRELOAD, all_thinking, Reply.json_answer(GOOD)],
        models=("gpt-oss:20b",),
        shows={"gpt-oss:20b": {"family": "gptoss", "capabilities": ["completion", "thinking"]}},
    )
    r = service(tmp_path, double, "gpt-oss:20b").ask(Q)
    assert r.status == "answered" and r.answer == GOOD["answer"]
    failed = [e for e in events(r, "parse_ladder") if e.outcome == "fired"]
    assert failed and "only reasoning and no answer" in failed[0].reason
    (reask,) = events(r, "reask")
    assert "only reasoning" in reask.reason
    assert "only reasoning and no answer" in json.dumps(chats(double)[1]["messages"], ensure_ascii=False)


# -- an Ollama without JSON-schema format ------------------------------------------------------------------


def test_an_ollama_before_0_5_gets_format_json_and_the_parse_ladder(tmp_path: Path, server) -> None:
    double = LoopbackOllama(server, [PRELOAD, Reply.json_answer(GOOD)], version="0.4.7")
    svc = service(tmp_path, double, "qwen2.5:3b")
    r = svc.ask(Q)
    assert r.status == "answered" and r.answer == GOOD["answer"]
    assert [c["format"] for c in chats(double)] == ["json"]
    (fallback,) = events(r, "format")
    assert fallback.outcome == "fallback" and "predates JSON-schema format" in fallback.reason


def test_the_double_refuses_a_schema_format_like_an_old_ollama(server) -> None:
    """The control for the test above: without the fallback, every answer from an old Ollama would be an HTTP 400."""
    import httpx

    double = LoopbackOllama(server, [], version="0.4.7")
    reply = httpx.post(double.url + "/api/chat", json={"model": "qwen2.5:3b", "messages": [], "format": {"type": "object"}})
    assert reply.status_code == 400 and "cannot unmarshal object" in reply.text


# -- context and truncation -------------------------------------------------------------------------------


def test_a_model_whose_context_is_smaller_than_num_ctx_gets_a_fitted_prompt(tmp_path: Path, server) -> None:
    double = LoopbackOllama(
        server, [PRELOAD, Reply.json_answer(GOOD)], shows={"qwen2.5:3b": {"context_length": 1024, "family": "qwen2"}}
    )
    r = service(tmp_path, double, "qwen2.5:3b", docs=LONG_DOCS, num_ctx=8192, num_predict=512).ask(Q)
    assert r.status == "answered"
    (fitted,) = events(r, "context_window")
    assert fitted.outcome == "cut" and "context is 1024 tokens" in fitted.reason and fitted.details["window"] == 1024
    sent = json.dumps(chats(double)[0]["messages"], ensure_ascii=False)
    shown = sum(f"[S{i}]" in sent for i in range(1, 5))
    assert len(r.retrieved) == 4 and 1 <= shown < 4  # chunks dropped to fit the real window, whatever num_ctx says


def test_a_reply_cut_at_num_predict_is_recognised_and_repaired(tmp_path: Path, server) -> None:
    cut = '{"citations": ["S1"], "answer": "Ollama listens on port 11434 by def'
    double = LoopbackOllama(server, [PRELOAD, Reply.text(cut, done_reason="length", eval_count=64)])
    r = service(tmp_path, double, "qwen2.5:3b", num_predict=64).ask(Q)
    (truncated,) = events(r, "truncation")
    assert truncated.outcome == "fired" and truncated.details["kind"] == "num_predict" and "num_predict=64" in truncated.reason
    assert r.status == "answered" and r.answer and r.answer.startswith("Ollama listens on port 11434")  # json-repair closed it


def test_a_cut_reply_the_ladder_cannot_repair_is_reasked_shorter(tmp_path: Path, server) -> None:
    double = LoopbackOllama(
        server, [PRELOAD, Reply.text('{"citations": ["S1"], "ans', done_reason="stop", eval_count=64), Reply.json_answer(GOOD)]
    )
    r = service(tmp_path, double, "qwen2.5:3b", num_predict=64).ask(Q)
    assert r.status == "answered"
    assert events(r, "truncation")[0].details["kind"] == "num_predict"  # eval_count at num_predict, whatever done_reason says
    (reask,) = events(r, "reask")
    assert "cut off at num_predict=64" in reask.reason and "answer in fewer words" in reask.reason


def test_a_reply_cut_by_a_full_context_is_reasked_with_a_smaller_prompt(tmp_path: Path, server) -> None:
    double = LoopbackOllama(
        server,
        [
            PRELOAD,
            Reply.text('{"citations": [', done_reason="length", eval_count=5, prompt_eval_count=1019),
            Reply.json_answer(GOOD),
        ],
    )
    r = service(tmp_path, double, "qwen2.5:3b", docs=LONG_DOCS, num_ctx=4096, num_predict=512).ask(Q)
    assert r.status == "answered"
    assert events(r, "truncation")[0].details == {"kind": "context", "window": 1024}
    (refit,) = events(r, "context_window")
    assert "context filled up" in refit.reason and refit.details["window"] == 1024
    first, second = (json.dumps(c["messages"], ensure_ascii=False) for c in chats(double))
    assert "[S4]" in first and "[S4]" not in second and len(second) < len(first)  # fitted, not a longer re-ask


# -- a model unloaded after a long pause ------------------------------------------------------------------


def test_a_model_unloaded_after_a_long_pause_takes_the_cold_load_path(tmp_path: Path, server) -> None:
    """keep_alive expired: the next request loads the model (1.5 s, longer than the 1 s request timeout) under the
    long load timeout instead of timing out the answer call."""
    cold_load = Reply.slow(1.5, then=Reply.text(""))
    double = LoopbackOllama(server, [PRELOAD, Reply.json_answer(GOOD), cold_load, Reply.json_answer(GOOD)])
    svc = service(tmp_path, double, "qwen2.5:3b", timeout=1.0)
    now = [1000.0]
    svc._parts.rung_builder().clock = lambda: now[0]  # the service's rung builder remembers when each model was last used
    first = svc.ask(Q)
    now[0] += 600  # ten minutes later: Ollama's default keep_alive (5 min) has unloaded the model
    second = svc.ask(Q)
    assert first.status == "answered" and second.status == "answered"
    (load,) = events(second, "model_load")
    assert load.outcome == "loading" and "idle for 600 s" in load.reason and "cold start" in load.reason
    assert load.duration_ms >= 1400
    assert not [e for e in second.events if e.outcome == "error"]


def test_doctor_says_an_old_ollama_answers_with_format_json(tmp_path: Path, server) -> None:
    from app.doctor import run_doctor

    double = LoopbackOllama(server, [], version="0.4.7")
    svc = service(tmp_path, double, "qwen2.5:3b")
    report = run_doctor(
        settings=svc.settings, choice=svc.backend(refresh=True), index_stats=svc.index_stats, trace_count=svc.traces.count
    )
    (check,) = [c for c in report.checks if c.name == "structured output"]
    assert "Ollama 0.4.7 predates JSON-schema format (0.5.0)" in check.detail and 'format="json"' in check.detail
