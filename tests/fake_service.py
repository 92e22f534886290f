"""A GuardedRAG wired to fakes: bag-of-words embeddings, scripted chat models, a fixed backend choice.

Used by service, CLI, UI (AppTest) and eval tests. Scripted models fail loudly when exhausted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.backend import BackendChoice
from app.model_factory import PreloadResult
from app.service import GuardedRAG
from app.settings import Settings
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.fakes import ScriptedChatModel

DOCS = {
    "ollama-port.md": "# Ollama server\n\nOllama listens on port 11434 by default. Set OLLAMA_HOST to change the address it binds to.",
    "modelfile.md": "# Modelfile\n\nIn a Modelfile the temperature parameter defaults to 0.8. Lower values make output more deterministic.",
    "端口.md": "# 端口\n\nOllama 默认监听 11434 端口，可以通过 OLLAMA_HOST 环境变量修改监听地址。",
}


@dataclass
class FakeModelFactory:
    """Hands out one scripted model per (kind, model); records preloads."""

    scripts: dict[str, list[Any]] = field(default_factory=dict)  # model name -> script
    embedded_model_name: str = "smollm2:135m"
    models: dict[str, ScriptedChatModel] = field(default_factory=dict)
    preloads: list[str] = field(default_factory=list)
    formats: list[Any] = field(default_factory=list)  # the `format` of every chat_model request, in order

    def chat_model(self, kind: str, model: str, **kwargs: Any) -> ScriptedChatModel:
        self.formats.append(kwargs.get("format"))
        if model not in self.models:
            self.models[model] = ScriptedChatModel(script=list(self.scripts.get(model, [])), model=model)
        return self.models[model]

    def preload(self, kind: str, model: str, *, timeout: float) -> PreloadResult:
        self.preloads.append(model)
        return PreloadResult(kind=kind, model=model, ok=True, cold=len(self.preloads) == 1, duration_s=0.01)


def embedded_choice(settings: Settings) -> BackendChoice:
    return BackendChoice(kind="embedded", model="smollm2:135m", reason="test: embedded backend", fix=None, host=settings.ollama_host)


def write_docs(folder: Path, docs: dict[str, str] = DOCS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def make_service(
    tmp_path: Path,
    *,
    scripts: dict[str, Sequence[Any]] | None = None,
    choose=embedded_choice,
    ingest: bool = True,
    **settings: Any,
) -> tuple[GuardedRAG, FakeModelFactory]:
    docs = write_docs(tmp_path / "docs")
    base = Settings(home=tmp_path / "home", docs_dir=docs, retries=0, **settings)
    factory = FakeModelFactory(scripts={k: list(v) for k, v in (scripts or {}).items()})
    svc = GuardedRAG(base, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=choose)  # type: ignore[arg-type]
    if ingest:
        svc.ingest()
    return svc, factory
