"""Error paths of `serve`: bad JSON, unknown model, oversized bodies and messages, tokens, unsupported
formats, the 503 when full, a client that disconnects mid-answer, a backend that is down, a failed answer."""

from __future__ import annotations

import json
import logging
import threading
import time

import httpx
import ollama
import openai
import pytest

from app import BackendChoice
from app.serve.middleware import ACCESS_LOG
from tests.app.serve.conftest import GOOD, MODEL, OFF_CORPUS, GatedModel, Q, wait_for

PROSE = "The port is 11434, I believe."  # not JSON: normally re-asked


def chat_body(content: str = Q, **extra):
    return {"model": "guarded-rag", "messages": [{"role": "user", "content": content}], **extra}


def test_bad_json_and_bad_shapes_are_400_in_each_dialect(serve):
    run = serve()
    r = httpx.post(run.url + "/api/chat", content=b'{"model": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith("invalid JSON")
    r = httpx.post(run.url + "/v1/chat/completions", content=b"[1, 2")
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    assert httpx.post(run.url + "/api/chat", json=[1, 2]).status_code == 400
    deep = httpx.post(run.url + "/api/chat", content=b"[" * 100_000)  # within the size limit, too deep to parse
    assert deep.status_code == 400 and "nested too deeply" in deep.json()["error"]
    for raw in (b'{"model": "\\udcff"}', '{"model": "\udcff"}'.encode("utf-8", "surrogatepass")):  # lone surrogates
        r = httpx.post(run.url + "/api/chat", content=raw)
        assert r.status_code == 404 and "\ufffd" in r.json()["error"]
    r = httpx.post(run.url + "/api/chat", json={"model": "guarded-rag", "messages": [{"role": "wizard", "content": "hi"}]})
    assert r.status_code == 400 and "role" in r.json()["error"]
    r = httpx.post(run.url + "/api/chat", json={"model": "guarded-rag", "messages": [{"role": "assistant", "content": "hi"}]})
    assert r.status_code == 400 and "last message" in r.json()["error"]
    r = httpx.post(run.url + "/api/chat", json=chat_body(format={"type": "object"}))
    assert r.status_code == 400 and "plain text" in r.json()["error"]
    r = httpx.post(run.url + "/v1/ask", json={"question": Q, "colour": "red"})
    assert r.status_code == 400 and "colour" in r.json()["error"]
    r = httpx.post(run.url + "/v1/ask", json={"question": Q, "colour": "red", "size": 3})  # the first, and a count
    assert r.status_code == 400 and r.json()["error"].endswith("colour: Extra inputs are not permitted (and 1 more)")
    for model in (123, ["guarded-rag"], {"name": "x"}):  # was a 500 (TypeError) on /api/show
        for path in ("/api/show", "/api/chat"):
            r = httpx.post(run.url + path, json={"model": model, "messages": [{"role": "user", "content": Q}]})
            assert r.status_code == 400 and "string" in r.json()["error"], (path, model)
    r = httpx.post(run.url + "/api/chat", json=chat_body(options={"temperature": 99}))
    assert r.status_code == 400 and "temperature" in r.json()["error"]
    assert "\n" not in r.json()["error"] and "pydantic.dev" not in r.json()["error"]  # one line, as other 400s
    assert run.svc.traces.count() == 0 and run.model.calls == []


def test_a_question_that_is_only_an_image_is_a_400_that_says_so(serve):
    """Not "Refused by the input_size guardrail: empty question": the sender learns the image was not read.
    With text beside it, the image is ignored and the text is the question (docs/SERVE.md)."""
    run = serve([GOOD])  # one answer: for the question with text beside its image
    png = "iVBORw0KGgo="
    only_image = [
        ("/api/chat", {"model": "guarded-rag", "messages": [{"role": "user", "content": "", "images": [png]}]}),
        (
            "/v1/chat/completions",
            {
                "model": "guarded-rag",
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": png}}]}],
            },
        ),
    ]
    for path, body in only_image:
        r = httpx.post(run.url + path, json=body)
        error = r.json()["error"]
        message = error if isinstance(error, str) else error["message"]
        assert r.status_code == 400 and "no text, only 1 image" in message, (path, r.text)
    assert run.svc.traces.count() == 0 and run.model.calls == []  # refused before the chain
    with_text = [{"type": "text", "text": Q}, {"type": "image_url", "image_url": {"url": png}}]
    r = httpx.post(
        run.url + "/v1/chat/completions", json={"model": "guarded-rag", "messages": [{"role": "user", "content": with_text}]}
    )
    assert r.status_code == 200 and r.json()["answer_status"] == "answered"


def test_unknown_model_is_a_404_the_clients_understand(serve):
    run = serve()
    with pytest.raises(ollama.ResponseError) as err:
        ollama.Client(host=run.url).chat(model="llama3", messages=[{"role": "user", "content": Q}])
    assert err.value.status_code == 404 and "llama3" in err.value.error
    oa = openai.OpenAI(base_url=run.url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": Q}])
    assert httpx.post(run.url + "/api/chat", json={"messages": []}).json() == {"error": "model is required"}


def test_oversized_body_and_message_are_413(serve):
    run = serve(max_body_kb=1, max_message_chars=200)
    big = chat_body("x" * 3000)
    r = httpx.post(run.url + "/api/chat", json=big)
    assert r.status_code == 413 and "GUARDED_RAG_MAX_BODY_KB" in r.json()["error"]

    def chunks():  # no Content-Length: the cap must hold while reading
        yield b'{"model": "guarded-rag", "messages": [{"role": "user", "content": "'
        for _ in range(100):
            yield b"y" * 100
        yield b'"}]}'

    r = httpx.post(run.url + "/v1/chat/completions", content=chunks())
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    r = httpx.post(run.url + "/api/chat", json=chat_body("z" * 500))
    assert r.status_code == 413 and "GUARDED_RAG_MAX_MESSAGE_CHARS" in r.json()["error"]
    assert run.metric("guarded_rag_rejected_total", reason="too_large") == 3


def test_bearer_token(serve):
    run = serve([GOOD, GOOD], api_token="s3cret")
    assert httpx.get(run.url + "/healthz").status_code == 200  # probes stay open
    assert httpx.head(run.url + "/").status_code == 200  # and Ollama's heartbeat
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
        r = httpx.get(run.url + "/api/tags", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and "bearer token" in r.json()["error"]
    r = httpx.post(run.url + "/v1/chat/completions", json=chat_body())
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=run.url + "/v1", api_key="wrong", max_retries=0).models.list()
    client = ollama.Client(host=run.url, headers={"Authorization": "Bearer s3cret"})
    assert client.chat(model="guarded-rag", messages=[{"role": "user", "content": Q}]).message.content.startswith("Ollama")
    oa = openai.OpenAI(base_url=run.url + "/v1", api_key="s3cret", max_retries=0)
    assert oa.chat.completions.create(model="guarded-rag", messages=[{"role": "user", "content": Q}]).choices
    assert httpx.get(run.url + "/metrics").status_code == 401
    assert run.metric("guarded_rag_rejected_total", reason="unauthorized") >= 5


def test_full_server_answers_503_with_retry_after(serve):
    gated = GatedModel(script=[GOOD], model=MODEL)
    run = serve(model=gated, max_inflight=1, max_queue=0)
    first: dict[str, object] = {}
    worker = threading.Thread(
        target=lambda: first.update(r=httpx.post(run.url + "/api/chat", json=chat_body(stream=False), timeout=30))
    )
    worker.start()
    assert gated.entered.wait(10)
    time.sleep(2.1)  # no question has finished yet: the one running for 2 s is the estimate, not a 1 s guess
    r = httpx.post(run.url + "/api/chat", json=chat_body())
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 3
    assert r.json()["error"].startswith("busy: the server is answering and holding all it takes (1 at once, 0 more waiting)")
    with pytest.raises(ollama.ResponseError) as err:
        ollama.Client(host=run.url).chat(model="guarded-rag", messages=[{"role": "user", "content": Q}])
    assert err.value.status_code == 503
    with pytest.raises(openai.APIStatusError) as oerr:
        openai.OpenAI(base_url=run.url + "/v1", api_key="x", max_retries=0).chat.completions.create(
            model="guarded-rag", messages=[{"role": "user", "content": Q}]
        )
    assert oerr.value.status_code == 503
    gated.gate.set()
    worker.join(30)
    assert first["r"].status_code == 200  # type: ignore[union-attr]
    assert run.metric("guarded_rag_rejected_total", reason="busy") == 3 and run.svc.traces.count() == 1


def test_retry_after_is_not_shortened_by_quick_refusals(serve):
    """Found by a walkthrough: Retry-After was a moving average of every question's time, refusals (milliseconds)
    included, and ignored the question running once any had finished: 'Retry-After: 1' while the queue took
    28 s to drain."""
    gated = GatedModel(script=[GOOD], model=MODEL)
    run = serve(model=gated, max_inflight=1, max_queue=0)
    for _ in range(3):  # refused before any model call
        assert httpx.post(run.url + "/api/chat", json=chat_body(OFF_CORPUS, stream=False)).status_code == 200
    worker = threading.Thread(target=lambda: httpx.post(run.url + "/api/chat", json=chat_body(stream=False), timeout=30))
    worker.start()
    assert gated.entered.wait(10)
    time.sleep(2.1)
    r = httpx.post(run.url + "/api/chat", json=chat_body())
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 3
    gated.gate.set()
    worker.join(30)


def test_the_queue_holds_a_waiting_question_with_keepalives(serve):
    gated = GatedModel(script=[GOOD, GOOD], model=MODEL)
    run = serve(model=gated, max_inflight=1, max_queue=1)
    results: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: results.append(httpx.post(run.url + "/api/chat", json=chat_body(stream=False), timeout=30))
    )
    worker.start()
    assert gated.entered.wait(10)
    with httpx.stream("POST", run.url + "/api/chat", json=chat_body(), timeout=30) as queued:
        assert queued.status_code == 200
        lines = queued.iter_lines()
        assert '"content": ""' in next(lines)  # a keep-alive while it waits for the slot
        assert httpx.post(run.url + "/api/chat", json=chat_body()).status_code == 503  # 1 running + 1 queued
        gated.gate.set()
        text = "".join(line for line in lines)
    worker.join(30)
    assert results[0].status_code == 200 and '"done": true' in text and "11434" in text
    assert run.svc.traces.count() == 2


@pytest.mark.parametrize("stream", [True, False])
def test_client_disconnect_stops_further_model_calls(serve, stream):
    """The first model call is under way when the client goes; its prose reply would normally be re-asked,
    but the re-ask never starts: one call, the trace says the caller withdrew, the slot is free again."""
    gated = GatedModel(script=[PROSE, GOOD], model=MODEL)
    run = serve(model=gated, max_inflight=1, max_queue=0)
    with httpx.Client(timeout=30) as client:
        if stream:
            with client.stream("POST", run.url + "/api/chat", json=chat_body()) as r:
                assert r.status_code == 200 and gated.entered.wait(10)
                next(r.iter_lines())  # a keep-alive arrived: the answer is being held
        else:
            worker = threading.Thread(target=lambda: _gone(run.url))
            worker.start()
            assert gated.entered.wait(10)
            worker.join(10)
    wait_for(lambda: run.metric("guarded_rag_client_disconnects_total") == 1)
    gated.gate.set()
    wait_for(lambda: run.svc.traces.count() == 1)
    record = run.svc.traces.get(run.svc.traces.list()[0].trace_id)
    assert len(gated.calls) == 1 and gated.remaining == 1  # no re-ask
    assert record.status == "fallback" and any("withdrawn" in e.reason for e in record.events)
    wait_for(lambda: run.app.state.served.runner.pending == 0)
    gated.gate.set()
    gated.script.append(GOOD)
    assert httpx.post(run.url + "/api/chat", json=chat_body(stream=False), timeout=30).status_code == 200  # slot released


def test_a_client_gone_during_the_only_call_is_in_the_trace(serve, caplog):
    """Stop pressed while the one model call runs: the answer is made but never delivered, and the trace says so;
    the access log's 499 line names that trace (it said trace_id null)."""
    caplog.set_level(logging.INFO, logger=ACCESS_LOG)
    gated = GatedModel(script=[GOOD], model=MODEL)
    run = serve(model=gated, max_inflight=1, max_queue=0)
    worker = threading.Thread(target=lambda: _gone(run.url))
    worker.start()
    assert gated.entered.wait(10)
    worker.join(10)
    wait_for(lambda: run.metric("guarded_rag_client_disconnects_total") == 1)
    gated.gate.set()
    wait_for(lambda: run.svc.traces.count() == 1)
    record = run.svc.traces.get(run.svc.traces.list()[0].trace_id)
    assert record.status == "answered" and record.events[-1].name == "caller_gone"
    wait_for(lambda: any('"status": 499' in r.getMessage() for r in caplog.records if r.name == ACCESS_LOG))
    gone = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOG and '"status": 499' in r.getMessage()]
    assert [line["trace_id"] for line in gone] == [record.trace_id]


def _gone(url: str) -> None:
    """A non-streamed request whose client gives up after a moment."""
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(url + "/api/chat", json=chat_body(stream=False), timeout=httpx.Timeout(30, read=0.5))


def test_backend_down_the_fallback_ladder_answers_labelled(serve):
    def ollama_down(settings):
        return BackendChoice(kind="ollama", model="qwen2.5:3b", reason="test: ollama", fix=None, host=settings.ollama_host)

    run = serve([GOOD], scripts={"qwen2.5:3b": [ConnectionError("refused")]}, choose=ollama_down)
    text = "".join(
        c.message.content or ""
        for c in ollama.Client(host=run.url).chat(model="guarded-rag", messages=[{"role": "user", "content": Q}], stream=True)
    )
    assert text.startswith("[fallback: embedded] Answered by the fallback rung 'embedded'") and "11434" in text
    record = run.svc.traces.list()[0]
    assert record.status == "fallback" and record.rung == "embedded"


def test_a_failed_answer_is_an_error_body_mid_stream_or_500(serve):
    run = serve(ingest=False)  # an empty index: the service answers status "error" with the fix
    r = httpx.post(run.url + "/api/chat", json=chat_body(stream=False))
    assert r.status_code == 500 and "guarded-rag ingest" in r.json()["error"] and r.headers["x-trace-id"]
    last = json.loads(httpx.post(run.url + "/api/chat", json=chat_body()).text.splitlines()[-1])
    assert "guarded-rag ingest" in last["error"] and last["done"]  # Ollama's mid-stream error line
    with pytest.raises(openai.APIError, match="guarded-rag ingest"):
        list(
            openai.OpenAI(base_url=run.url + "/v1", api_key="x", max_retries=0).chat.completions.create(
                model="guarded-rag", messages=[{"role": "user", "content": Q}], stream=True
            )
        )
    assert run.svc.traces.count() == 3  # failed answers leave traces too


def test_unknown_path_is_a_json_404(serve):
    run = serve()
    r = httpx.get(run.url + "/api/pull")
    assert r.status_code == 404 and "error" in r.json()
    wrong = httpx.get(run.url + "/v1/chat/completions")  # a 405 says which methods (it had no Allow header)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert wrong.json()["error"]["type"] == "invalid_request_error" and wrong.json()["error"]["code"] == "method_not_allowed"


def test_mis_decoded_text_reaches_the_guardrails_not_a_crash(serve):
    run = serve([])
    raw = b'{"model": "guarded-rag", "stream": false, "messages": [{"role": "user", "content": "\\udcff\\udcfe\\udcfd port?"}]}'
    r = httpx.post(run.url + "/api/chat", content=raw)
    assert r.status_code == 200 and r.json()["message"]["content"].startswith("Refused by the input_size guardrail")
    assert run.svc.traces.get(r.headers["x-trace-id"]) is not None
