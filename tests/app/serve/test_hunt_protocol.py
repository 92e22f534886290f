"""Protocol edge cases found by a bug hunt, each checked with a real client against `serve` on loopback."""

from __future__ import annotations

import json

import ollama
import openai
import pytest
from langchain_ollama import ChatOllama

from tests.app.serve.conftest import Q


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_streamed_reply_with_a_unicode_line_separator_reaches_the_ollama_client_whole(serve, separator):
    """httpx's iter_lines (which the ollama client and so ChatOllama read NDJSON with) splits lines as
    str.splitlines does: at U+2028, U+2029 and NEL too. Written raw inside a JSON string they cut one NDJSON
    line in two and the client failed with a JSONDecodeError; Ollama itself (Go's encoding/json) escapes them."""
    answer = f"Ollama listens on port 11434{separator}by default."
    run = serve([json.dumps({"citations": ["S1"], "answer": answer})] * 2)
    chunks = list(ollama.Client(host=run.url).chat(model="guarded-rag", messages=[{"role": "user", "content": Q}], stream=True))
    text = "".join(c.message.content or "" for c in chunks)
    assert text.startswith(answer) and chunks[-1].done and chunks[-1].done_reason == "stop"
    streamed = "".join(str(c.content) for c in ChatOllama(model="guarded-rag", base_url=run.url).stream(Q))
    assert streamed == text


def test_the_openai_client_does_not_ask_a_failed_question_again(serve):
    """The openai SDK retries a 500 twice by default (unless the server sends `x-should-retry: false`): a failed
    answer (here an empty index) ran the whole guarded chain three times and left three traces for one question."""
    run = serve(ingest=False)
    client = openai.OpenAI(base_url=run.url + "/v1", api_key="unused")  # the SDK's default retries
    with pytest.raises(openai.InternalServerError, match="guarded-rag ingest"):
        client.chat.completions.create(model="guarded-rag", messages=[{"role": "user", "content": Q}])
    assert run.svc.traces.count() == 1


def test_the_openai_client_retrieves_a_model_it_listed(serve):
    """`client.models.retrieve(id)` (GET /v1/models/{id}, which Ollama's OpenAI layer serves too) was a 404 for the
    very model /v1/models lists."""
    run = serve(profiles={"strict": {}})
    client = openai.OpenAI(base_url=run.url + "/v1", api_key="unused", max_retries=0)
    listed = [m.id for m in client.models.list()]
    assert [client.models.retrieve(name).id for name in listed] == listed == ["guarded-rag:latest", "guarded-rag:strict"]
    with pytest.raises(openai.NotFoundError, match="not found") as missing:
        client.models.retrieve("llama3:8b")
    assert missing.value.body["code"] == "model_not_found"
