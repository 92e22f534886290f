"""Bug hunt: hostile chat streams, with real ChatOllama over real HTTP on 127.0.0.1 against the scripted Ollama double.

A content carrying a lone surrogate escape ("\\ud800": valid JSON, not Unicode text; a server or proxy that is not
Ollama's Go encoder) made ChatOllama's AIMessage fail pydantic's validation: not a transport error, so the question
ended as status "error" with pydantic's text as its message instead of a retry and the next rung. A reply far past
num_predict cost CPU growing with the square of its length."""

from __future__ import annotations

import json

import pytest

from app.models.reply_shape import CHARS_PER_TOKEN
from tests.fake_service import ollama_service
from tests.ollama_double import NDJSON, LoopbackOllama, Reply

Q = "Which port does Ollama listen on by default?"
GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}
PRELOAD = Reply.text("")  # the empty-messages chat that loads the model


def escaped_stream(content: str) -> Reply:
    """A chat stream written with ASCII escapes (json.dumps' default), as a Python server would send it."""
    head = {"model": "qwen2.5:3b", "created_at": "2024-01-01T00:00:00Z"}
    lines = [
        {**head, "message": {"role": "assistant", "content": content}, "done": False},
        {**head, "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop", "eval_count": 7},
    ]
    return Reply("body", code=200, message=NDJSON, content="".join(json.dumps(line) + "\n" for line in lines))


@pytest.fixture
def server(httpserver):
    yield httpserver
    httpserver.check_assertions()


def test_a_lone_surrogate_in_the_reply_is_a_transport_error_that_is_retried(tmp_path, server):
    # the content itself holds the surrogate (json.dumps(..., ensure_ascii=False) keeps it as a character), which
    # the stream's line encodes as the escape
    bad = json.dumps({**GOOD, "answer": "Ollama listens on port \ud800 11434."}, ensure_ascii=False)
    double = LoopbackOllama(server, [PRELOAD, escaped_stream(bad), Reply.json_answer(GOOD)])
    svc = ollama_service(tmp_path, double.url, retries=1, reasks=0, timeout=2.0)
    r = svc.ask(Q)
    assert r.status == "answered" and r.rung == "primary" and r.answer == GOOD["answer"]
    calls = [e for e in r.events if e.name == "model_call"]
    assert [e.outcome for e in calls] == ["error", "ok"]
    assert "RemoteProtocolError" in calls[0].reason and "lone surrogate" in calls[0].reason
    assert [e.name for e in r.events if e.outcome == "retry"] == ["transport_retry"]


def test_a_surrogate_pair_is_the_character_it_spells(tmp_path, server):
    """Only a lone surrogate is refused: an escaped pair decodes to one character, a reply like any other."""
    good = {**GOOD, "answer": "Ollama listens on port 11434 by default 🙂."}
    double = LoopbackOllama(server, [PRELOAD, escaped_stream(json.dumps(good, ensure_ascii=False))])
    svc = ollama_service(tmp_path, double.url, retries=0, reasks=0, timeout=2.0)
    r = svc.ask(Q)
    assert r.status == "answered" and r.answer == good["answer"] and r.llm_calls == 1


def test_a_reply_far_past_num_predict_is_cut_off_as_a_transport_error(tmp_path, server):
    """A server that ignores num_predict: ChatOllama's merging of the streamed chunks costs the square of the reply's
    length (2 MB took 45 s of CPU per attempt), bounded only by the question's budget. Now the reply is ended once it
    holds more than num_predict * CHARS_PER_TOKEN characters, and the next try (here a retry) answers."""
    num_predict = 64
    limit = num_predict * CHARS_PER_TOKEN
    flood = json.dumps({**GOOD, "answer": "x" * (limit + 1)})
    double = LoopbackOllama(server, [PRELOAD, Reply.text(flood), Reply.json_answer(GOOD)])
    svc = ollama_service(tmp_path, double.url, retries=1, reasks=0, timeout=2.0, num_predict=num_predict)
    r = svc.ask(Q)
    assert r.status == "answered" and r.answer == GOOD["answer"]
    calls = [e for e in r.events if e.name == "model_call"]
    assert [e.outcome for e in calls] == ["error", "ok"]
    assert f"the reply ran past {limit:,} characters" in calls[0].reason
    sent = [req.body for req in double.requests if req.path == "/api/chat" and req.body.get("messages")]
    assert sent[0]["options"]["num_predict"] == num_predict


def test_a_reply_within_the_limit_is_read_whole(tmp_path, server):
    num_predict = 64
    padded = json.dumps(GOOD) + " " * (num_predict * CHARS_PER_TOKEN - 200)  # a model that pads its reply
    double = LoopbackOllama(server, [PRELOAD, Reply.text(padded)])
    svc = ollama_service(tmp_path, double.url, retries=0, reasks=0, timeout=2.0, num_predict=num_predict)
    r = svc.ask(Q)
    assert r.status == "answered" and r.answer == GOOD["answer"] and r.llm_calls == 1
