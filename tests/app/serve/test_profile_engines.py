"""Serve profiles with their own embedded model settings (gguf, num_ctx, threads). Found by reading the code: every
profile shared the default service's one embedded engine, built from the default's settings, so a profile's
`gguf` was silently ignored (the default model answered, under the default's name) and its `num_ctx` capped at
the default's. Scripted engines stand in for llama.cpp (no model loads); the server is real, on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app import GuardedRAG, ServerThread, Settings, create_app
from app.fakes import BagOfWordsEmbeddings, write_docs
from app.models.factory import MAX_EMBEDDED_ENGINES, ModelFactory
from tests.app.serve.conftest import GOOD, Q
from tests.fake_service import embedded_choice
from tests.ollama_double import Gen, ScriptedEngine

OTHER_GGUF = Path("/models/qwen2.5-0.5b-instruct-q4_k_m.gguf")  # never opened: the engines are scripted


class Engines:
    """Builds a scripted engine per settings, as LlamaEngine.from_settings would build a llama.cpp one."""

    def __init__(self) -> None:
        self.built: list[tuple[Settings, ScriptedEngine]] = []

    def __call__(self, settings: Settings) -> ScriptedEngine:
        name = "smollm2:135m" if settings.gguf is None else settings.gguf.stem.lower()
        engine = ScriptedEngine([Gen.json_answer(json.loads(GOOD))], name=name, max_ctx=settings.num_ctx)
        self.built.append((settings, engine))
        return engine

    def for_gguf(self, gguf: Path | None) -> ScriptedEngine:
        (engine,) = [e for s, e in self.built if s.gguf == gguf]
        return engine


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[GuardedRAG, Engines]]:
    settings = Settings(home=tmp_path / "home", docs_dir=write_docs(tmp_path / "docs"), retries=0, keepalive=0.05)
    engines = Engines()
    factory = ModelFactory(settings, build_engine=engines)
    svc = GuardedRAG(settings, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=embedded_choice, reraise_bugs=True)
    svc.ingest()
    yield svc, engines
    svc.close()


def ask(url: str, model: str) -> httpx.Response:
    body = {"model": model, "stream": False, "messages": [{"role": "user", "content": Q}]}
    return httpx.post(url + "/api/chat", json=body, timeout=30)


def test_a_profile_with_its_own_gguf_and_num_ctx_answers_with_its_own_embedded_model(service):
    svc, engines = service
    big = svc.derive(gguf=OTHER_GGUF, num_ctx=8192)
    with ServerThread(create_app(svc, profiles={"big": big}, warm=False)) as server:
        r = ask(server.url, "guarded-rag:big")
        assert r.status_code == 200, r.text
        default = engines.for_gguf(None)
        assert default.calls == []  # the default's model did not answer the profile
        profile = engines.for_gguf(OTHER_GGUF)
        (call,) = profile.calls
        assert call["options"]["num_ctx"] == 8192 and profile.loaded_ctx() == 8192  # not capped at the default's 2048
        assert big.answering_model().model == "qwen2.5-0.5b-instruct-q4_k_m"  # named as the profile's model
        r = ask(server.url, "guarded-rag")
        assert r.status_code == 200, r.text
        assert len(default.calls) == 1 and len(profile.calls) == 1


def test_profiles_with_the_default_embedded_settings_share_its_engine(service):
    svc, engines = service
    stricter = svc.derive(top_k=2, temperature=0.0)  # nothing the engine is built from
    assert stricter.answering_model() == svc.answering_model()
    assert len(engines.built) == 1  # one model in memory, as before


def test_one_factory_per_embedded_configuration_sharing_the_host_pools():
    engines = Engines()
    hosts = {"ollama_host": "http://127.0.0.1:1,http://127.0.0.1:2"}
    root = ModelFactory(Settings(**hosts), build_engine=engines)
    other = root.for_settings(Settings(num_ctx=4096, **hosts))
    assert other is not root and other.engine is not root.engine
    assert root.for_settings(Settings(num_ctx=4096)) is other  # made once
    assert other.for_settings(Settings()) is root
    assert other.pool() is root.pool()  # one breaker state per host in the process
    assert len(engines.built) == 2


def test_more_embedded_configurations_than_the_bound_are_refused_naming_the_fields():
    root = ModelFactory(Settings(), build_engine=Engines())
    for i in range(1, MAX_EMBEDDED_ENGINES):
        root.for_settings(Settings(threads=i + 2))
    with pytest.raises(ValueError, match=r"gguf=None, num_ctx=2048, threads=99"):
        root.for_settings(Settings(threads=99))
