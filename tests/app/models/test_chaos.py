"""Chaos mode at the transport: each fault through a real ChatOllama over the scripted double, with a
seeded rng; rate 0 never fires; on_fault is told; the sequence is deterministic."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import httpx
import ollama
import pytest
from langchain_ollama import ChatOllama
from pydantic import ValidationError

from app.models.chaos import ALL_FAULTS, AsyncChaosTransport, ChaosConfig, ChaosTransport, mutate
from app.models.factory import ModelFactory
from app.models.transport_errors import TRANSPORT_ERRORS
from app.settings import Settings
from tests.ollama_double import Gen, Reply, ScriptedEngine, ScriptedOllama

ANSWER = {"answer": "Ollama listens on 11434 [S1] and uses OLLAMA_HOST [S2].", "citations": ["S1", "S2"]}
TEXT = json.dumps(ANSWER)


class Faults:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, fault: str, description: str) -> None:
        self.seen.append((fault, description))


def chaotic(double: ScriptedOllama, config: ChaosConfig, faults: Faults, *, seed: int = 0, timeout: float = 5.0) -> ChatOllama:
    rng = random.Random(seed)
    return ChatOllama(
        base_url="http://ollama.test:11434",
        model="qwen2.5:3b",
        client_kwargs={"timeout": timeout},
        sync_client_kwargs={"transport": ChaosTransport(double, config, rng=rng, on_fault=faults)},
        async_client_kwargs={"transport": AsyncChaosTransport(double, config, rng=rng, on_fault=faults)},
    )


def only(fault: str, **extra: Any) -> ChaosConfig:
    return ChaosConfig(rate=1.0, faults=(fault,), **extra)  # type: ignore[arg-type]


def invoke(llm: ChatOllama, mode: str) -> str:
    message = llm.invoke("q") if mode == "sync" else asyncio.run(llm.ainvoke("q"))
    return str(message.content)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_rate_zero_never_fires(mode: str) -> None:
    faults = Faults()
    double = ScriptedOllama([Reply.json_answer(ANSWER)] * 20)
    llm = chaotic(double, ChaosConfig(rate=0.0), faults)
    assert all(invoke(llm, mode) == TEXT for _ in range(20))
    assert faults.seen == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_prose(mode: str) -> None:
    faults = Faults()
    content = invoke(chaotic(ScriptedOllama([Reply.json_answer(ANSWER)]), only("prose"), faults), mode)
    assert content == f"Sure! Here is the answer:\n```json\n{TEXT}\n```\nHope this helps."
    assert [f for f, _ in faults.seen] == ["prose"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_truncate(mode: str) -> None:
    faults = Faults()
    content = invoke(chaotic(ScriptedOllama([Reply.json_answer(ANSWER)]), only("truncate"), faults), mode)
    assert content == TEXT[: len(TEXT) * 6 // 10]
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)
    assert faults.seen == [("truncate", f"truncated the content from {len(TEXT)} to {len(content)} characters")]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_wrong_citation(mode: str) -> None:
    faults = Faults()
    content = invoke(chaotic(ScriptedOllama([Reply.json_answer(ANSWER)]), only("wrong_citation"), faults), mode)
    parsed = json.loads(content)
    assert parsed["citations"] == ["S99", "S99"] and "[S99]" in parsed["answer"] and "S1" not in content
    assert faults.seen == [("wrong_citation", "replaced 4 citation label(s) with S99")]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_latency(mode: str) -> None:
    faults = Faults()
    llm = chaotic(ScriptedOllama([Reply.json_answer(ANSWER)]), only("latency", latency_s=0.3), faults)
    started = time.monotonic()
    assert invoke(llm, mode) == TEXT
    assert time.monotonic() - started >= 0.3
    assert faults.seen[0][0] == "latency"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_latency_beyond_the_read_timeout_times_out(mode: str) -> None:
    double = ScriptedOllama([Reply.json_answer(ANSWER)])
    llm = chaotic(double, only("latency", latency_s=60.0), Faults(), timeout=0.2)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        invoke(llm, mode)
    assert time.monotonic() - started < 0.2 + 5.0 and double.chat_requests == []  # the timeout (and slack), not 60 s


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_transport_error(mode: str) -> None:
    faults = Faults()
    double = ScriptedOllama([])  # never reached: an exhausted script would fail loudly
    with pytest.raises(ollama.ResponseError) as raised:
        invoke(chaotic(double, only("transport_error"), faults), mode)
    assert raised.value.status_code == 503 and raised.value.error == "server busy (chaos)"
    assert isinstance(raised.value, TRANSPORT_ERRORS) and double.chat_requests == []
    assert [f for f, _ in faults.seen] == ["transport_error"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_timeout(mode: str) -> None:
    faults = Faults()
    double = ScriptedOllama([])
    with pytest.raises(httpx.ReadTimeout) as raised:
        invoke(chaotic(double, only("timeout"), faults), mode)
    assert isinstance(raised.value, TRANSPORT_ERRORS) and double.chat_requests == []
    assert [f for f, _ in faults.seen] == ["timeout"]


def test_non_streaming_body_is_rewritten() -> None:
    faults = Faults()
    transport = ChaosTransport(
        ScriptedOllama([Reply.json_answer(ANSWER)]), only("wrong_citation"), rng=random.Random(1), on_fault=faults
    )
    client = ollama.Client(host="http://ollama.test:11434", transport=transport)
    reply = client.chat(model="qwen2.5:3b", messages=[{"role": "user", "content": "q"}], stream=False)
    assert json.loads(reply.message.content or "")["citations"] == ["S99", "S99"] and reply.done_reason == "stop"


def test_rewritten_stream_is_valid_ndjson_with_the_original_final_line() -> None:
    transport = ChaosTransport(ScriptedOllama([Reply.json_answer(ANSWER)]), only("prose"), rng=random.Random(1))
    with httpx.Client(base_url="http://ollama.test:11434", transport=transport) as client:
        response = client.post("/api/chat", json={"model": "qwen2.5:3b", "messages": [], "stream": True})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.headers["content-type"] == "application/x-ndjson" and len(lines) > 2
    assert all(not line["done"] for line in lines[:-1]) and lines[-1]["done"] and lines[-1]["eval_count"] == 7
    assert "".join(line["message"]["content"] for line in lines).startswith("Sure! Here is the answer:")


@pytest.mark.parametrize("reply", [Reply.status(500, "boom"), Reply.midstream_error("died")], ids=["500", "midstream"])
def test_upstream_errors_pass_through_untouched(reply: Reply) -> None:
    faults = Faults()
    with pytest.raises(ollama.ResponseError):
        chaotic(ScriptedOllama([reply]), only("prose"), faults).invoke("q")
    assert faults.seen[0][0] == "prose" and faults.seen[0][1].startswith("not applied")


def test_only_chat_requests_are_touched() -> None:
    faults = Faults()
    transport = ChaosTransport(
        ScriptedOllama(models=("qwen2.5:3b",)), only("transport_error"), rng=random.Random(0), on_fault=faults
    )
    client = ollama.Client(host="http://ollama.test:11434", transport=transport)
    assert [m.model for m in client.list().models] == ["qwen2.5:3b"] and faults.seen == []


def _sequence(seed: int) -> list[str]:
    faults = Faults()
    config = ChaosConfig(rate=0.5, faults=ALL_FAULTS, latency_s=0.0)
    llm = chaotic(ScriptedOllama([Reply.json_answer(ANSWER)] * 30), config, faults, seed=seed)
    outcomes = []
    for _ in range(30):
        try:
            outcomes.append(str(llm.invoke("q").content)[:12])
        except TRANSPORT_ERRORS as exc:
            outcomes.append(type(exc).__name__)
    return [f for f, _ in faults.seen] + outcomes


def test_deterministic_given_the_seed() -> None:
    first, again, other = _sequence(7), _sequence(7), _sequence(8)
    assert first == again and first != other
    fired = set(first) & set(ALL_FAULTS)
    assert len(fired) >= 4  # a rate of 0.5 over 30 requests exercises most faults


def test_factory_chaos_over_the_embedded_transport() -> None:
    faults = Faults()
    factory = ModelFactory(Settings(), engine=ScriptedEngine([Gen.json_answer(ANSWER)]))
    chat = factory.chat_model("embedded", "smollm2:135m", timeout=5, chaos=only("wrong_citation"), rng_seed=1, on_fault=faults)
    assert json.loads(str(chat.invoke("q").content))["citations"] == ["S99", "S99"]
    assert faults.seen[0][0] == "wrong_citation"


def test_mutate_and_config_validation() -> None:
    assert mutate("truncate", "abcdefghij")[0] == "abcdef"
    assert mutate("wrong_citation", "no labels")[1] == "replaced 0 citation label(s) with S99"
    assert mutate("wrong_citation", "S12 and XS1 and S3x")[0] == "S99 and XS1 and S3x"
    for bad in ({"rate": 1.5}, {"rate": 0.5, "faults": ("meteor",)}, {"rate": 0.5, "extra": 1}):
        with pytest.raises(ValidationError):
            ChaosConfig.model_validate(bad)
    with pytest.raises(ValidationError):
        ChaosConfig(rate=0.5).rate = 1  # type: ignore[misc]  # frozen
