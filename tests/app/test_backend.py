"""Backend choice, the Ollama probe and the ModelFactory (no real model: the embedded engine is scripted)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from langchain_ollama import ChatOllama
from pytest_httpserver import HTTPServer

from app.backend import (
    EMBEDDED_URL,
    TRANSPORT_ERRORS,
    BackendChoice,
    ModelFactory,
    OllamaProbe,
    choose_backend,
    probe_ollama,
    resolve_model,
)
from app.chaos import AsyncChaosTransport, ChaosConfig, ChaosTransport
from app.embedded import AsyncEmbeddedOllamaTransport, EmbeddedOllamaTransport, LlamaEngine
from app.settings import Settings
from tests.ollama_double import Gen, LoopbackOllama, Reply, ScriptedEngine, ScriptedOllama, closed_port

HOST = "http://127.0.0.1:11434"
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def fake_probe(result: OllamaProbe | None) -> object:
    def probe(host: str, model: str) -> OllamaProbe:
        if result is None:
            raise AssertionError("the probe must not be called")
        return result

    return probe


def probe_result(*, reachable: bool = True, models: tuple[str, ...] = (), error: str | None = None) -> OllamaProbe:
    resolved = resolve_model("qwen2.5:3b", models)
    return OllamaProbe(host=HOST, model="qwen2.5:3b", reachable=reachable, models=models, has_model=resolved is not None,
                       resolved_model=resolved, error=error, version="0.12.0" if reachable else None)


# -- choose_backend -------------------------------------------------------------------------------------


def test_embedded_never_probes() -> None:
    choice = choose_backend(Settings(backend="embedded"), probe=fake_probe(None))  # type: ignore[arg-type]
    assert choice.kind == "embedded" and choice.model == "smollm2:135m" and choice.fix is None
    assert "SmolLM2-135M" in choice.reason


@pytest.mark.parametrize(
    ("backend", "found", "kind", "model", "reason", "fix"),
    [
        ("auto", probe_result(models=("qwen2.5:3b", "bge-m3:latest")), "ollama", "qwen2.5:3b",
         f"Ollama at {HOST} has qwen2.5:3b", None),
        ("auto", probe_result(models=("qwen2.5:3b-instruct-q4_K_M",)), "ollama", "qwen2.5:3b-instruct-q4_K_M",
         f"Ollama at {HOST} has qwen2.5:3b-instruct-q4_K_M", None),
        ("auto", probe_result(models=("llama3.2:latest",)), "embedded", "smollm2:135m",
         "Ollama is running but qwen2.5:3b is not pulled — run `ollama pull qwen2.5:3b`; using the embedded model",
         "run `ollama pull qwen2.5:3b`"),
        ("auto", probe_result(reachable=False, error="ConnectError: refused"), "embedded", "smollm2:135m",
         f"Ollama not reachable at {HOST}; using the embedded SmolLM2-135M", "start Ollama"),
        ("auto", probe_result(error="GET /api/tags answered HTTP 500"), "embedded", "smollm2:135m",
         "answered with an error", "check the Ollama server log"),
        ("ollama", probe_result(models=("qwen2.5:3b",)), "ollama", "qwen2.5:3b", f"Ollama at {HOST} has qwen2.5:3b", None),
        ("ollama", probe_result(reachable=False, error="ConnectError: refused"), "ollama", "qwen2.5:3b",
         f"Ollama not reachable at {HOST}", "ollama serve"),
        ("ollama", probe_result(models=("llama3.2:latest",)), "ollama", "qwen2.5:3b", "qwen2.5:3b is not available",
         "ollama pull qwen2.5:3b"),
    ],
    ids=["auto-has", "auto-variant", "auto-missing", "auto-down", "auto-error", "ollama-has", "ollama-down", "ollama-missing"],
)
def test_choose_backend(backend: str, found: OllamaProbe, kind: str, model: str, reason: str, fix: str | None) -> None:
    choice = choose_backend(Settings(backend=backend), probe=fake_probe(found))  # type: ignore[arg-type]
    assert isinstance(choice, BackendChoice)
    assert (choice.kind, choice.model, choice.host) == (kind, model, HOST)
    assert reason in choice.reason
    assert (choice.fix is None) if fix is None else (fix in (choice.fix or ""))
    assert choice.probe == found


def test_custom_gguf_name_in_choice(tmp_path) -> None:  # type: ignore[no-untyped-def]
    choice = choose_backend(Settings(backend="embedded", gguf=tmp_path / "Tiny-1B.Q8_0.gguf"))
    assert choice.model == "tiny-1b.q8_0:latest" and "tiny-1b.q8_0:latest" in choice.reason


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [
        ("qwen2.5:3b", ("qwen2.5:3b",), "qwen2.5:3b"),
        ("qwen2.5:3b", ("Qwen2.5:3B-instruct-q4_K_M",), "Qwen2.5:3B-instruct-q4_K_M"),
        ("qwen2.5:3b", ("qwen2.5:3b-instruct", "qwen2.5:3b"), "qwen2.5:3b"),  # exact beats a variant
        ("qwen2.5", ("qwen2.5:latest",), "qwen2.5:latest"),
        ("qwen2.5", ("qwen2.5:3b",), None),  # no tag means :latest, as in Ollama
        ("qwen2.5:3b", ("qwen2.5:7b", "qwen2.5:32b"), None),
        ("qwen2.5:3b", ("qwen2.5:3bx",), None),
    ],
)
def test_resolve_model(wanted: str, available: tuple[str, ...], expected: str | None) -> None:
    assert resolve_model(wanted, available) == expected


# -- probe_ollama ---------------------------------------------------------------------------------------


def test_probe_against_the_double() -> None:
    double = ScriptedOllama(models=("qwen2.5:3b-instruct-q4_K_M", "bge-m3:latest"), version="0.12.3")
    found = probe_ollama(HOST, "qwen2.5:3b", transport=double)
    assert found.reachable and found.has_model and found.version == "0.12.3" and found.error is None
    assert found.models == ("qwen2.5:3b-instruct-q4_K_M", "bge-m3:latest")
    assert found.resolved_model == "qwen2.5:3b-instruct-q4_K_M"
    assert [(r.method, r.path) for r in double.requests] == [("GET", "/api/version"), ("GET", "/api/tags")]
    assert double.chat_requests == []


def test_probe_refused_port_never_raises() -> None:
    found = probe_ollama(f"http://127.0.0.1:{closed_port()}", "qwen2.5:3b", timeout=1.0)
    assert not found.reachable and not found.has_model and "ConnectError" in (found.error or "")


@pytest.mark.parametrize(
    ("handler", "reachable", "error"),
    [
        (lambda r: httpx.Response(500, json={"error": "boom"}) if r.url.path == "/api/tags" else httpx.Response(200, json={"version": "1"}),
         True, "HTTP 500"),
        (lambda r: httpx.Response(200, text="<html>not ollama</html>"), True, "not an Ollama answer"),
        (lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)), False, "ReadTimeout"),
    ],
    ids=["tags-500", "not-json", "timeout"],
)
def test_probe_problems_become_errors(handler: object, reachable: bool, error: str) -> None:
    found = probe_ollama(HOST, "qwen2.5:3b", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    assert found.reachable is reachable and not found.has_model and error in (found.error or "")


# -- ModelFactory ---------------------------------------------------------------------------------------


def _sync_transport(chat: ChatOllama) -> object:
    return chat._client._client._transport  # noqa: SLF001 - asserting the wiring is the point


def _async_transport(chat: ChatOllama) -> object:
    return chat._async_client._client._transport  # noqa: SLF001


def test_default_factory_owns_a_lazy_llama_engine() -> None:
    factory = ModelFactory(Settings(threads=1))
    assert isinstance(factory.engine, LlamaEngine) and factory.engine.loaded_ctx() is None
    assert factory.embedded_model_name == "smollm2:135m"


def test_ollama_chat_model_wiring() -> None:
    settings = Settings(temperature=0.3, num_ctx=4096, num_predict=300, seed=9, ollama_host="http://10.0.0.2:11434")
    chat = ModelFactory(settings, engine=ScriptedEngine()).chat_model("ollama", "qwen2.5:3b", format=SCHEMA, timeout=12.5)
    assert isinstance(chat, ChatOllama)
    assert (chat.base_url, chat.model, chat.format) == ("http://10.0.0.2:11434", "qwen2.5:3b", SCHEMA)
    assert (chat.temperature, chat.num_ctx, chat.num_predict, chat.seed) == (0.3, 4096, 300, 9)
    assert chat._client._client.timeout == httpx.Timeout(12.5)  # noqa: SLF001
    assert chat._async_client._client.timeout == httpx.Timeout(12.5)  # noqa: SLF001
    assert isinstance(_sync_transport(chat), httpx.HTTPTransport)
    assert isinstance(_async_transport(chat), httpx.AsyncHTTPTransport)


def test_embedded_chat_model_runs_through_the_engine() -> None:
    engine = ScriptedEngine([Gen.json_answer({"answer": "ok"})])
    factory = ModelFactory(Settings(temperature=0.0, num_ctx=2048, num_predict=64, seed=1), engine=engine)
    chat = factory.chat_model("embedded", factory.embedded_model_name, format=SCHEMA, timeout=30)
    assert chat.base_url == EMBEDDED_URL and chat._client._client.timeout == httpx.Timeout(30)  # noqa: SLF001
    sync, async_ = _sync_transport(chat), _async_transport(chat)
    assert isinstance(sync, EmbeddedOllamaTransport) and sync.engine is engine
    assert isinstance(async_, AsyncEmbeddedOllamaTransport) and async_.engine is engine
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
    chat = factory.chat_model(kind, "m", timeout=5, chaos=ChaosConfig(rate=1.0, faults=("prose",)), rng_seed=3)  # type: ignore[arg-type]
    sync, async_ = _sync_transport(chat), _async_transport(chat)
    assert isinstance(sync, ChaosTransport) and isinstance(async_, AsyncChaosTransport)
    inner = EmbeddedOllamaTransport if kind == "embedded" else httpx.HTTPTransport
    assert isinstance(sync.inner, inner)


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
