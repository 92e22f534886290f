"""A session's settings handed to svc.answering_model / chat_model / fresh_chat_model: a change the request may
not make (gguf, threads: what the embedded engine is built from; outside REQUEST_FIELDS) was silently ignored on
the embedded backend, the service's own engine answering under its own name. It is a SettingsError naming it, as
in svc.effective; request fields still apply, and derive() is the way to another model file. Scripted engines
stand in for llama.cpp (no model loads)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app import GuardedRAG, Settings, SettingsError
from app.fakes import BagOfWordsEmbeddings, write_docs
from app.models.factory import ModelFactory
from tests.app.serve.test_profile_engines import OTHER_GGUF, Engines
from tests.fake_service import embedded_choice


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[GuardedRAG, Engines]]:
    settings = Settings(home=tmp_path / "home", docs_dir=write_docs(tmp_path / "docs"), retries=0)
    engines = Engines()
    factory = ModelFactory(settings, build_engine=engines)
    svc = GuardedRAG(settings, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=embedded_choice)
    yield svc, engines
    svc.close()


CALLS: dict[str, Callable[[GuardedRAG, Settings], Any]] = {
    "answering_model": lambda svc, s: svc.answering_model(s),
    "chat_model": lambda svc, s: svc.chat_model(settings=s),
    "fresh_chat_model": lambda svc, s: svc.fresh_chat_model(settings=s),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize(("field", "value"), [("gguf", OTHER_GGUF), ("threads", 3)])
def test_a_setting_the_embedded_engine_is_built_from_is_refused_naming_it(service, call, field: str, value: object) -> None:
    svc, engines = service
    other = svc.settings.with_overrides(**{field: value})
    with pytest.raises(SettingsError, match=rf"{field} cannot be changed per request.*derive"):
        call(svc, other)
    assert [e.calls for _, e in engines.built] == [[]]  # the service's engine did not answer instead


def test_request_fields_still_apply(service) -> None:
    svc, _ = service
    session = svc.settings.with_overrides(temperature=0.0, num_predict=64)
    assert svc.answering_model(session).model == "smollm2:135m"
    llm = svc.chat_model(settings=session)
    assert llm.temperature == 0.0 and llm.num_predict == 64


def test_another_model_file_is_another_service(service) -> None:
    svc, engines = service
    other = svc.derive(gguf=OTHER_GGUF)
    assert other.answering_model(other.settings).model == OTHER_GGUF.stem.lower()
    other.chat_model(settings=other.settings).invoke("hi")
    assert len(engines.for_gguf(OTHER_GGUF).calls) == 1 and engines.for_gguf(None).calls == []
