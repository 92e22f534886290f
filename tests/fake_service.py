"""A GuardedRAG wired to fakes: bag-of-words embeddings, scripted chat models, a fixed backend choice.

Used by service, CLI, UI (AppTest) and eval tests. Scripted models fail loudly when exhausted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app import BackendChoice, GuardedRAG, Settings
from app.embedded import ChatEngine
from app.fakes import BagOfWordsEmbeddings, ScriptedModelFactory, write_docs
from app.models.factory import ModelFactory

FakeModelFactory = ScriptedModelFactory  # the name the tests use


def embedded_choice(settings: Settings) -> BackendChoice:
    return BackendChoice(
        kind="embedded", model="smollm2:135m", reason="test: embedded backend", fix=None, host=settings.ollama_host
    )


def make_service(
    tmp_path: Path,
    *,
    scripts: dict[str, Sequence[Any]] | None = None,
    choose=embedded_choice,
    ingest: bool = True,
    reraise_bugs: bool = True,
    **settings: Any,
) -> tuple[GuardedRAG, FakeModelFactory]:
    docs = write_docs(tmp_path / "docs")
    base = Settings(home=tmp_path / "home", docs_dir=docs, retries=0, **settings)
    factory = FakeModelFactory(scripts={k: list(v) for k, v in (scripts or {}).items()})
    # reraise_bugs: a bug (or an exhausted script) fails the test instead of becoming status "error".
    svc = GuardedRAG(base, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=choose, reraise_bugs=reraise_bugs)  # type: ignore[arg-type]
    if ingest:
        svc.ingest()
    return svc, factory


def reopened(svc: GuardedRAG) -> GuardedRAG:
    """A new service on `svc`'s settings, embedder, model factory and chooser: what the next `guarded-rag` process
    builds (main() closes the service it ran, and a closed service refuses further use)."""
    parts = svc._parts
    return GuardedRAG(
        svc.settings,
        embeddings=parts.embedder(),
        factory=parts.model_factory(),
        choose=parts.choose,
        reraise_bugs=svc.reraise_bugs,
    )


def ollama_service(tmp_path: Path, host: str, *, engine: ChatEngine | None = None, **settings: Any) -> GuardedRAG:
    """A GuardedRAG on the real ModelFactory (real ChatOllama over HTTP) forced to Ollama at `host` (a scripted
    double on loopback), the sample docs ingested; `engine` backs the embedded rung (a scripted ChatEngine)."""
    base = Settings(
        home=tmp_path / "home", docs_dir=write_docs(tmp_path / "docs"), backend="ollama", ollama_host=host, **settings
    )
    factory = ModelFactory(base, engine=engine) if engine is not None else ModelFactory(base)
    svc = GuardedRAG(base, embeddings=BagOfWordsEmbeddings(), factory=factory)
    svc.ingest()
    return svc
