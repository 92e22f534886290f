"""The embedded engines' lifecycle as the factory, the service and the HTTP server drive it: a cold call reuses the
one engine (its model unloaded) instead of loading a second copy beside it, and shutdown frees every engine's model
now. A stand-in for llama_cpp.Llama records what is loaded and freed (no model loads); the engines are the real
LlamaEngine, the server is real, on loopback."""

from __future__ import annotations

import sys
import threading
import time
import types
from pathlib import Path

import httpx
import pytest

from app import GuardedRAG, ServerThread, ServiceClosedError, Settings, create_app
from app.fakes import BagOfWordsEmbeddings, write_docs
from app.models.factory import ModelFactory
from tests.app.embedded.test_hunt_lifecycle import FakeLlama, gguf
from tests.fake_service import embedded_choice
from tests.ollama_double import Gen, ScriptedEngine

MODEL = "smollm2:135m"
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def llama(monkeypatch: pytest.MonkeyPatch) -> type[FakeLlama]:
    """llama_cpp.Llama replaced by a recorder of every model built and freed."""
    recorder = type("Recorder", (FakeLlama,), {"built": []})
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=recorder))
    return recorder


def _open(built: list[FakeLlama]) -> list[FakeLlama]:
    """The stand-in models still in memory."""
    return [m for m in built if m.closed == 0]


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    model = gguf(tmp_path / "m.gguf", template="{{ messages }}")
    return Settings(home=tmp_path / "home", docs_dir=write_docs(tmp_path / "docs"), gguf=model, retries=0, **overrides)


# -- fresh: a cold call without a second copy --------------------------------------------------------------


def test_fresh_embedded_unloads_the_engine_instead_of_building_a_second(tmp_path: Path, llama: type[FakeLlama]) -> None:
    """The latency experiment's cold calls: fresh() built a second LlamaEngine and left the first one's model loaded,
    so the cold call held two copies of the model in memory (and the second engine was never freed)."""
    factory = ModelFactory(_settings(tmp_path))
    name = factory.embedded_model_name
    assert factory.preload("embedded", name, 30).ok and len(_open(llama.built)) == 1
    fresh = factory.fresh("embedded", name)
    assert fresh is not None
    assert _open(llama.built) == []  # the warm model was freed before the cold call
    reply = fresh.chat_model("embedded", name, timeout=30).invoke(USER)
    assert reply.response_metadata["load_duration"] > 0  # a cold load
    assert len(llama.built) == 2 and len(_open(llama.built)) == 1  # one copy in memory, never two


def test_fresh_embedded_with_a_scripted_engine_builds_no_engine(tmp_path: Path) -> None:
    built: list[ScriptedEngine] = []

    def build(settings: Settings) -> ScriptedEngine:
        built.append(ScriptedEngine([Gen(pieces=("ok",))]))
        return built[-1]

    factory = ModelFactory(Settings(home=tmp_path), build_engine=build)
    factory.engine.load()
    fresh = factory.fresh("embedded", MODEL)
    assert fresh is not None
    assert len(built) == 1 and built[0].unloads == 1 and built[0].loaded_ctx() is None
    assert fresh.chat_model("embedded", MODEL, timeout=5).invoke(USER).content == "ok"
    assert built[0].loads == [None, 2048]  # loaded again, by the one engine


# -- shutdown: every engine's model freed ----------------------------------------------------------------


def test_closing_the_service_frees_every_embedded_engine_it_built(tmp_path: Path, llama: type[FakeLlama]) -> None:
    """GuardedRAG.close() wrote the traces and left llama.cpp's models in memory until garbage collection; a derived
    service with its own num_ctx (a serve profile's) has an engine of its own, freed too."""
    svc = GuardedRAG(_settings(tmp_path), embeddings=BagOfWordsEmbeddings(), choose=embedded_choice)
    big = svc.derive(num_ctx=4096)
    assert svc.preload().ok and big.preload().ok
    assert len(_open(llama.built)) == 2  # two configurations, two engines, two models
    big.close()  # shares the default's factory: leaves it open
    assert len(_open(llama.built)) == 2
    svc.close()
    assert _open(llama.built) == []
    with pytest.raises(ServiceClosedError):  # no model loaded again behind close()'s back, for nothing to free
        svc.preload()
    assert _open(llama.built) == []


def test_a_service_leaves_a_factory_it_was_given_to_its_owner(tmp_path: Path, llama: type[FakeLlama]) -> None:
    settings = _settings(tmp_path)
    factory = ModelFactory(settings)
    with GuardedRAG(settings, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=embedded_choice) as svc:
        assert svc.preload().ok
    assert len(_open(llama.built)) == 1
    factory.close()
    assert _open(llama.built) == []


def test_server_shutdown_frees_every_profiles_engine(tmp_path: Path, llama: type[FakeLlama]) -> None:
    svc = GuardedRAG(_settings(tmp_path), embeddings=BagOfWordsEmbeddings(), choose=embedded_choice)
    big = svc.derive(num_ctx=4096)
    with ServerThread(create_app(svc, profiles={"big": big}, warm=False, close_services=True)) as server:
        assert svc.preload().ok and big.preload().ok  # what the lifespan's warm-up and the profiles' first calls do
        assert httpx.get(server.url + "/api/tags", timeout=10).status_code == 200
        assert len(_open(llama.built)) == 2
    assert _open(llama.built) == []


class BusyEngine(ScriptedEngine):
    """A scripted engine whose unload waits, as LlamaEngine's does while a generation holds its lock."""

    def __init__(self) -> None:
        super().__init__()
        self.generation_ended = threading.Event()

    def unload(self) -> bool:
        if not self.generation_ended.wait(30):
            raise AssertionError("BusyEngine: the generation was never ended by the test")
        return super().unload()


def test_an_engine_still_generating_does_not_hold_up_closing_the_others(tmp_path: Path) -> None:
    """Shutdown after a drain that left a withdrawn question in a model call: unload waits for that generation,
    and close() must not wait with it (the traces are written first, the process is meant to end)."""
    busy, idle = BusyEngine(), ScriptedEngine()
    factory = ModelFactory(Settings(home=tmp_path), engine=busy, build_engine=lambda _s: idle)
    sibling = factory.for_settings(Settings(home=tmp_path, num_ctx=4096))
    busy.load(), sibling.engine.load()
    result: list[bool] = []
    closing = threading.Thread(target=lambda: result.append(factory.close(timeout=0.3)), daemon=True)
    started = time.monotonic()
    closing.start()
    closing.join(5)
    try:
        assert result == [False] and time.monotonic() - started < 5  # returned, saying one is still busy
        assert idle.loaded_ctx() is None and idle.unloads == 1  # the idle one was freed meanwhile
    finally:
        busy.generation_ended.set()
    deadline = time.monotonic() + 5
    while busy.loaded_ctx() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert busy.loaded_ctx() is None  # freed once its generation ended
    assert factory.close(timeout=5) is True
