"""ModelFactory: ChatOllama wiring for both backends, chaos wrapping, preload, and the narrow transport-error
tuple (no real model: the embedded engine is scripted; Ollama is a loopback double)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from langchain_ollama import ChatOllama
from pytest_httpserver import HTTPServer

from app.embedded import EmbeddedOllamaTransport, LlamaEngine
from app.models.chaos import AsyncChaosTransport, ChaosConfig, ChaosTransport
from app.models.deadline import AsyncDeadlineTransport, DeadlineTransport
from app.models.factory import ModelFactory
from app.models.reply_shape import AsyncReplyShapeTransport, ReplyShapeTransport
from app.models.transport_errors import TRANSPORT_ERRORS
from app.models.transports import EMBEDDED_URL
from app.settings import Settings
from tests.ollama_double import Gen, LoopbackOllama, Reply, ScriptedEngine, closed_port

HOST = "http://127.0.0.1:11434"
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


# -- ModelFactory ---------------------------------------------------------------------------------------


def test_default_factory_owns_a_lazy_llama_engine() -> None:
    factory = ModelFactory(Settings(threads=1))
    assert isinstance(factory.engine, LlamaEngine) and factory.engine.loaded_ctx() is None
    assert factory.embedded_model_name == "smollm2:135m"


def test_ollama_chat_model_sends_the_settings_over_http(loopback: HTTPServer) -> None:
    server = LoopbackOllama(loopback, [Reply.json_answer({"answer": "ok"})] * 2)
    settings = Settings(temperature=0.3, num_ctx=4096, num_predict=300, seed=9, ollama_host=server.url)
    chat = ModelFactory(settings, engine=ScriptedEngine()).chat_model("ollama", "qwen2.5:3b", format=SCHEMA, timeout=12.5)
    assert isinstance(chat, ChatOllama)
    assert json.loads(str(chat.invoke("q").content)) == {"answer": "ok"}
    assert json.loads(str(asyncio.run(chat.ainvoke("q")).content)) == {"answer": "ok"}  # the async client too
    sync_call, async_call = [r.body for r in server.requests if r.path == "/api/chat"]
    assert sync_call == async_call
    assert sync_call["model"] == "qwen2.5:3b" and sync_call["format"] == SCHEMA
    assert sync_call["options"] == {"temperature": 0.3, "num_ctx": 4096, "num_predict": 300, "seed": 9}


def test_the_timeout_applies_to_sync_and_async_calls() -> None:
    # A server of its own, threaded: the abandoned slow requests must not hold up the shared one of other tests.
    own = HTTPServer(threaded=True)
    own.start()
    try:
        server = LoopbackOllama(own, [Reply.slow(15.0, then=Reply.json_answer({"answer": "late"}))] * 2)
        chat = ModelFactory(Settings(ollama_host=server.url), engine=ScriptedEngine()).chat_model("ollama", "m", timeout=0.3)
        for call in (lambda: chat.invoke("q"), lambda: asyncio.run(chat.ainvoke("q"))):
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                call()
            assert time.monotonic() - started < 0.3 + 5.0  # the 0.3 s deadline (and slack), not the server's 15 s
    finally:
        own.clear()
        own.stop()


def test_embedded_chat_model_runs_through_the_engine() -> None:
    engine = ScriptedEngine([Gen.json_answer({"answer": "ok"})])
    factory = ModelFactory(Settings(temperature=0.0, num_ctx=2048, num_predict=64, seed=1), engine=engine)
    chat = factory.chat_model("embedded", factory.embedded_model_name, format=SCHEMA, timeout=30)
    assert chat.base_url == EMBEDDED_URL  # never resolved: the engine answers in-process
    assert json.loads(str(chat.invoke("q").content)) == {"answer": "ok"}
    (call,) = engine.calls
    assert call["format"] == SCHEMA and call["options"] == {"temperature": 0.0, "num_ctx": 2048, "num_predict": 64, "seed": 1}


def test_per_call_settings_override() -> None:
    factory = ModelFactory(Settings(temperature=0.2), engine=ScriptedEngine())
    chat = factory.chat_model("ollama", "m", timeout=5, settings=Settings(temperature=1.5, ollama_host="http://other:1"))
    assert chat.temperature == 1.5 and chat.base_url == "http://other:1"


@pytest.mark.parametrize("kind", ["ollama", "embedded"])
def test_chaos_wraps_either_transport(kind: str) -> None:
    factory = ModelFactory(Settings(), engine=ScriptedEngine())
    _, outer, async_outer = factory.transports(kind, chaos=ChaosConfig(rate=1.0, faults=("prose",)), rng_seed=3)  # type: ignore[arg-type]
    # the total-deadline wrapper outside, the chaos inside it
    assert isinstance(outer, DeadlineTransport) and isinstance(async_outer, AsyncDeadlineTransport)
    sync, async_ = outer.inner, async_outer.inner
    assert isinstance(sync, ChaosTransport) and isinstance(async_, AsyncChaosTransport)
    if kind == "embedded":
        assert isinstance(sync.inner, EmbeddedOllamaTransport)
    else:  # Ollama's wire, its replies checked for Ollama's chat shape
        assert isinstance(sync.inner, ReplyShapeTransport) and isinstance(sync.inner.inner, httpx.HTTPTransport)
        assert isinstance(async_.inner, AsyncReplyShapeTransport)


def test_preload_embedded_reports_cold_then_warm() -> None:
    engine = ScriptedEngine()
    factory = ModelFactory(Settings(), engine=engine)
    first = factory.preload("embedded", "smollm2:135m", timeout=60)
    second = factory.preload("embedded", "smollm2:135m", timeout=60)
    assert first.ok and first.cold and first.error is None and first.duration_s >= 0
    assert second.ok and not second.cold
    assert engine.calls == [] and len(engine.loads) == 2


def test_preload_embedded_load_failure_is_reported_not_raised(tmp_path) -> None:  # type: ignore[no-untyped-def]
    factory = ModelFactory(Settings(gguf=tmp_path / "missing.gguf"))
    result = factory.preload("embedded", factory.embedded_model_name, timeout=5)
    assert not result.ok and "ResponseError" in (result.error or "") and "not a file" in (result.error or "")


@pytest.fixture
def loopback(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver  # pytest-httpserver's shared server: nothing here is slow


def test_preload_ollama_over_http(loopback: HTTPServer) -> None:
    server = LoopbackOllama(loopback, [Reply.text("")])
    factory = ModelFactory(Settings(ollama_host=server.url), engine=ScriptedEngine())
    result = factory.preload("ollama", "qwen2.5:3b", timeout=5)
    assert result.ok and result.cold  # /api/ps listed nothing
    chat = [r for r in server.requests if r.path == "/api/chat"]
    assert [r.path for r in server.requests] == ["/api/ps", "/api/chat"] and chat[0].body["messages"] == []


def test_preload_ollama_unreachable() -> None:
    factory = ModelFactory(Settings(ollama_host=f"http://127.0.0.1:{closed_port()}"), engine=ScriptedEngine())
    result = factory.preload("ollama", "qwen2.5:3b", timeout=2)
    assert not result.ok and "ConnectionError" in (result.error or "")


def test_transport_errors_tuple_is_narrow() -> None:
    assert all(isinstance(t, type) and issubclass(t, BaseException) for t in TRANSPORT_ERRORS)
    for broad in (Exception, ValueError, AssertionError, RuntimeError, OSError):
        assert broad not in TRANSPORT_ERRORS
    assert not isinstance(AssertionError("ScriptedOllama exhausted"), TRANSPORT_ERRORS)
    assert not isinstance(ValueError("No data received from Ollama stream."), TRANSPORT_ERRORS)
