"""The real embedded model (llama-cpp-python + the bundled SmolLM2-135M GGUF) behind an unmodified
ChatOllama, built by ModelFactory exactly as the app builds it. Slow-ish (seconds); marked `integration`."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel, Field

from app.embedded import EmbeddedOllamaTransport, LlamaEngine
from app.embedded.engine import EVAL_BATCH
from app.models.factory import ModelFactory
from app.settings import Settings
from chains.circuit import MODEL_CALL_LIMIT, CallLimit
from chains.errors import Cancelled

pytestmark = pytest.mark.integration
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

# maxItems matters: without it SmolLM2 repeats "S1", "S2", ... until num_predict and the JSON never closes.
SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "maxLength": 200},
        "citations": {"type": "array", "items": {"type": "string", "enum": ["S1", "S2"]}, "maxItems": 2},
    },
    "required": ["answer", "citations"],
}
DOCS = Path(__file__).resolve().parents[2] / "data" / "docs"
SYSTEM = 'Answer the question using only the sources. Reply with JSON: {"answer": "...", "citations": ["S1"]}.'
SOURCES = "[S1] Ollama listens on port 11434 by default.\n[S2] The temperature parameter defaults to 0.8."
QUESTIONS = [
    "Which port does Ollama listen on?",
    "What is the default temperature?",
    "How do I change the port?",
    "What does the temperature parameter do?",
    "Summarise the sources.",
]


class Answer(BaseModel):
    answer: str = Field(max_length=200)
    citations: list[Literal["S1", "S2"]] = Field(max_length=2)


@pytest.fixture(scope="module")
def factory() -> Iterator[ModelFactory]:
    yield ModelFactory(Settings(backend="embedded", threads=1, num_ctx=2048, num_predict=256, temperature=0.2))


def messages(question: str) -> list[tuple[str, str]]:
    return [("system", SYSTEM), ("human", f"Sources:\n{SOURCES}\n\nQuestion: {question}")]


def test_preload_reports_cold_then_warm() -> None:
    factory = ModelFactory(Settings(backend="embedded", threads=1))  # its own engine: cold whatever ran before
    name = factory.embedded_model_name
    first = factory.preload("embedded", name, timeout=180)
    second = factory.preload("embedded", name, timeout=180)
    assert first.ok and first.cold, first
    assert second.ok and not second.cold, second
    assert second.duration_s < first.duration_s + 1.0


def test_five_schema_constrained_answers_parse_and_validate(factory: ModelFactory) -> None:
    llm = factory.chat_model("embedded", factory.embedded_model_name, format=SCHEMA, timeout=120)
    for question in QUESTIONS:
        message = llm.invoke(messages(question))
        raw = str(message.content)
        # The grammar lets raw newlines into strings: strict=False before validation, as the app's parser does.
        parsed = Answer.model_validate(json.loads(raw, strict=False))
        assert parsed.answer.strip() or parsed.citations is not None
        meta = message.response_metadata
        assert meta["done_reason"] in ("stop", "length") and meta["eval_count"] > 0 and meta["eval_duration"] > 0
        assert meta["model"] == factory.embedded_model_name and "prompt_eval_count" in meta


def test_streaming_and_async(factory: ModelFactory) -> None:
    llm = factory.chat_model("embedded", factory.embedded_model_name, format=SCHEMA, timeout=120)
    chunks = [str(chunk.content) for chunk in llm.stream(messages(QUESTIONS[0]))]
    assert sum(1 for c in chunks if c) > 3  # real token-by-token streaming, not one blob
    Answer.model_validate(json.loads("".join(chunks), strict=False))
    reply = asyncio.run(llm.ainvoke(messages(QUESTIONS[1])))
    Answer.model_validate(json.loads(str(reply.content), strict=False))


def test_concurrent_requests_are_serialized_not_broken(factory: ModelFactory) -> None:
    """Two concurrent calls both answer, and their generations do not overlap: each reply reports how long it
    held the engine (prompt evaluation + decoding, both inside the engine lock), and serialized calls cannot
    have held it for longer, together, than the wall time of the whole gather."""
    llm = factory.chat_model("embedded", factory.embedded_model_name, format=SCHEMA, timeout=120)
    factory.preload("embedded", factory.embedded_model_name, timeout=180)  # a load is not a generation

    async def both() -> list[Any]:
        return list(await asyncio.gather(llm.ainvoke(messages(QUESTIONS[0])), llm.ainvoke(messages(QUESTIONS[4]))))

    started = time.perf_counter_ns()
    replies = asyncio.run(both())
    wall = time.perf_counter_ns() - started
    held = []
    for reply in replies:
        Answer.model_validate(json.loads(str(reply.content), strict=False))
        meta = reply.response_metadata
        held.append(meta["prompt_eval_duration"] + meta["eval_duration"])
    assert all(h > 0 for h in held)
    assert sum(held) <= wall, f"generations overlapped: held {held} ns within {wall} ns"


def test_plain_text_without_format(factory: ModelFactory) -> None:
    plain = factory.chat_model("embedded", factory.embedded_model_name, timeout=120).invoke("Say hello.")
    assert isinstance(plain.content, str) and plain.content


def test_timeout_is_enforced_and_the_engine_recovers(factory: ModelFactory) -> None:
    name = factory.embedded_model_name
    hasty = factory.chat_model("embedded", name, format=SCHEMA, timeout=0.001)
    with pytest.raises(httpx.ReadTimeout):
        hasty.invoke(messages(QUESTIONS[2]))
    # The abandoned generation stops at its next token and releases the lock; the next call works.
    reply = factory.chat_model("embedded", name, format=SCHEMA, timeout=120).invoke(messages(QUESTIONS[3]))
    Answer.model_validate(json.loads(str(reply.content), strict=False))


def test_a_withdrawn_question_stops_the_model_mid_prompt() -> None:
    """Stop (the UI) or a client gone (serve) while the model was still reading the prompt let it read the whole
    prompt first, holding the engine for seconds. Now the wait ends at once and the engine between two batches:
    the same prompt asked again finds fewer tokens in llama.cpp's cache than a finished prompt would leave."""
    engine = LlamaEngine(None, max_ctx=2048, threads=1)  # its own engine: nothing cached by other tests
    engine.load()
    english = sorted(DOCS.glob("*.md"))
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in english if not p.stem.endswith("-zh"))[:5000]
    body = {"model": engine.model_name, "messages": [{"role": "user", "content": f"{text}\n\nSummarise this."}]}
    http = httpx.Client(base_url="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine), timeout=300)
    gone = threading.Event()
    threading.Timer(1.0, gone.set).start()
    token = MODEL_CALL_LIMIT.set(CallLimit(deadline=time.monotonic() + 300, cancelled=gone.is_set))
    try:
        with pytest.raises(Cancelled):
            http.post("/api/chat", json=body)
    finally:
        MODEL_CALL_LIMIT.reset(token)
    again = http.post("/api/chat", json={**body, "stream": False, "options": {"num_predict": 4}})
    assert again.status_code == 200, again.text  # the model's cache is consistent after the stop
    reply = again.json()
    assert reply["done"] and reply["message"]["content"]
    assert reply["prompt_eval_count"] > EVAL_BATCH, reply  # a finished prompt would be all cached (count ~1)
