"""Client compatibility found by running the real clients (ollama 0.6, openai v1+, ChatOllama) through every
request option against `serve` on loopback: what a request cannot get is a clear 400, never a silent
substitute, and a reply names the guardrail behind it where the dialect allows extra fields."""

from __future__ import annotations

import json

import httpx
import ollama
import openai
import pytest

from tests.app.serve.conftest import GOOD, OFF_CORPUS, VAGUE, Q

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
PNG = b"\x89PNG\r\n\x1a\n not really"


def _client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)


@pytest.mark.parametrize("stream", [False, True])
def test_generate_with_only_images_is_a_400_not_a_model_load(serve, stream):
    """`ollama.generate(images=[...])` without a prompt was read as a load request (an empty prompt): a
    `done_reason: "load"` reply with no text, so the user saw nothing and was told nothing."""
    run = serve([])  # no model call
    client = ollama.Client(host=run.url)
    with pytest.raises(ollama.ResponseError) as err:
        reply = client.generate(model="guarded-rag", images=[PNG], stream=stream)
        list(reply) if stream else reply
    assert err.value.status_code == 400 and "only 1 image" in err.value.error
    assert client.generate(model="guarded-rag").done_reason == "load"  # no images: still a load
    assert run.svc.traces.count() == 0 and run.model.calls == []


@pytest.mark.parametrize(
    "demand",
    [
        {"tool_choice": "required"},
        {"tool_choice": {"type": "function", "function": {"name": "lookup"}}},
        {"function_call": {"name": "lookup"}, "functions": [TOOL["function"]]},
        {"tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [TOOL]}}},
    ],
)
def test_a_demanded_tool_call_is_a_400(serve, demand):
    """A forced tool call was ignored like `tools`: the client got plain text where it waits for a call."""
    run = serve([])
    tools = {} if "functions" in demand else {"tools": [TOOL]}
    with pytest.raises(openai.BadRequestError) as err:
        _client(run.url).chat.completions.create(
            model="guarded-rag", messages=[{"role": "user", "content": Q}], **tools, **demand
        )
    assert err.value.code == "unsupported_tool_choice" and "never calls tools" in err.value.message
    assert run.svc.traces.count() == 0


@pytest.mark.parametrize(
    "choice", ["auto", "none", {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [TOOL]}}]
)
def test_tools_the_model_may_skip_are_still_ignored(serve, choice):
    run = serve([GOOD])
    reply = _client(run.url).chat.completions.create(
        model="guarded-rag", messages=[{"role": "user", "content": Q}], tools=[TOOL], tool_choice=choice
    )
    assert reply.choices[0].message.content.startswith("Ollama listens on port 11434")
    assert reply.choices[0].message.tool_calls is None and run.model.remaining == 0


def test_replies_name_the_guardrail_behind_them(serve):
    """Clients saw `answer_status` only: which guardrail refused or asked back was in the text, for a person."""
    run = serve([GOOD])
    oa = _client(run.url)
    refused = oa.chat.completions.create(model="guarded-rag", messages=[{"role": "user", "content": OFF_CORPUS}])
    assert refused.model_extra["answer_status"] == "refused" and refused.model_extra["guardrail"] == "relevance"
    assert "relevance" in refused.model_extra["guardrails_fired"]
    chunks = list(oa.chat.completions.create(model="guarded-rag", messages=[{"role": "user", "content": VAGUE}], stream=True))
    finish = next(c for c in chunks if c.choices and c.choices[0].finish_reason == "stop")
    assert finish.model_extra["answer_status"] == "clarify" and finish.model_extra["guardrail"] == "completeness"
    lines = httpx.post(run.url + "/api/chat", json={"model": "guarded-rag", "messages": [{"role": "user", "content": Q}]})
    final = json.loads(lines.text.splitlines()[-1])
    assert final["done"] and final["answer_status"] == "answered" and final["guardrail"] is None
    assert isinstance(final["guardrails_fired"], list)
    generated = httpx.post(run.url + "/api/generate", json={"model": "guarded-rag", "prompt": OFF_CORPUS, "stream": False})
    assert generated.json()["guardrail"] == "relevance"


def test_endpoints_this_server_lacks_say_what_it_serves(serve):
    """The clients' own calls to endpoints that are not here (pull, embed, the Responses API) got a bare
    "Not Found"."""
    run = serve([])
    client = ollama.Client(host=run.url)
    for call in (lambda: client.pull("guarded-rag"), lambda: client.embed(model="guarded-rag", input="port")):
        with pytest.raises(ollama.ResponseError) as err:
            call()
        assert err.value.status_code == 404 and "answers questions over /api/chat and /api/generate" in err.value.error
    oa = _client(run.url)
    for call in (
        lambda: oa.responses.create(model="guarded-rag", input=Q),
        lambda: oa.embeddings.create(model="guarded-rag", input="port"),
        lambda: oa.completions.create(model="guarded-rag", prompt=Q),
    ):
        with pytest.raises(openai.NotFoundError) as oerr:
            call()
        assert "chat completions only (POST /v1/chat/completions)" in oerr.value.message
    assert run.svc.traces.count() == 0
