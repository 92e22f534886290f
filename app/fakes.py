"""Offline doubles: a strict scripted chat model, deterministic bag-of-words embeddings, and a model factory
that hands out scripted models. The tests use them, and so do the benches that measure the app's own
overhead (a zero-latency model), which may not import tests/. Nothing here loads a model or opens a socket.

Scripted models record what they were sent and fail loudly when exhausted: exhaustion raises AssertionError
on purpose, which is not a transport error, so no retry or fallback in the chain can swallow it.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from app.models.factory_types import BackendKind, PreloadResult
from app.models.info import ModelInfo

# A three-document corpus whose bag-of-words ranking is known: the tests' and the overhead bench's.
SAMPLE_DOCS = {
    "ollama-port.md": "# Ollama server\n\nOllama listens on port 11434 by default. Set OLLAMA_HOST to change the address it binds to.",
    "modelfile.md": "# Modelfile\n\nIn a Modelfile the temperature parameter defaults to 0.8. Lower values make output more deterministic.",
    "端口.md": "# 端口\n\nOllama 默认监听 11434 端口，可以通过 OLLAMA_HOST 环境变量修改监听地址。",
}


def write_docs(folder: Path, docs: dict[str, str] = SAMPLE_DOCS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


class ScriptedChatModel(BaseChatModel):
    """Replies with the next scripted item: a string (the reply text) or an exception instance (raised)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any] = Field(default_factory=list)
    model: str = "scripted"
    calls: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append({"messages": list(messages), "kwargs": dict(kwargs)})
        if not self.script:
            raise AssertionError(f"ScriptedChatModel {self.model!r} exhausted after {len(self.calls) - 1} call(s)")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if run_manager is not None:
            run_manager.on_llm_new_token(item)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(item), generation_info={"done_reason": "stop"})])

    @property
    def remaining(self) -> int:
        return len(self.script)


def scripted(*items: Any, model: str = "scripted") -> ScriptedChatModel:
    return ScriptedChatModel(script=list(items), model=model)


_WORD = re.compile(r"[a-z0-9_]{2,}")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "is",
        "are",
        "and",
        "or",
        "for",
        "on",
        "with",
        "it",
        "this",
        "that",
        "be",
        "by",
        "as",
        "at",
        "from",
    ]
)


def tokens(text: str) -> list[str]:
    """The features a text is made of: English words, and CJK unigrams and bigrams."""
    lowered = text.lower()
    found = [w for w in _WORD.findall(lowered) if w not in _STOPWORDS]
    for run in _CJK_RUN.findall(lowered):
        found.extend(run)
        found.extend(run[i : i + 2] for i in range(len(run) - 1))
    return found


class BagOfWordsEmbeddings(Embeddings):
    """Hash-bucket bag of words. Identical texts embed identically; texts sharing no token are orthogonal
    (up to hash collisions); a text with no tokens gets a fixed unit vector so cosine stays defined."""

    def __init__(self, dimension: int = 256, embedder_id: str = "fake-bow") -> None:
        self._dimension = dimension
        self._id = embedder_id
        self.calls: list[int] = []  # batch sizes seen, so tests can assert batching/idempotency

    @property
    def embedder_id(self) -> str:
        return self._id

    @property
    def dimension(self) -> int:
        return self._dimension

    def _bucket(self, token: str) -> int:
        digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self._dimension

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self._dimension
        for token in tokens(text):
            vector[self._bucket(token)] += 1.0
        norm = math.sqrt(sum(v * v for v in vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


@dataclass
class ScriptedModelFactory:
    """A ModelFactory that hands out one scripted model per model name and records preloads and formats."""

    scripts: dict[str, list[Any]] = field(default_factory=dict)  # model name -> script
    embedded_model_name: str = "smollm2:135m"
    models: dict[str, ScriptedChatModel] = field(default_factory=dict)
    preloads: list[str] = field(default_factory=list)
    formats: list[Any] = field(default_factory=list)  # the `format` of every chat_model request, in order
    fresh_factory: ScriptedModelFactory | None = None  # what fresh() hands out: "a model not loaded yet"
    infos: dict[str, ModelInfo] = field(default_factory=dict)  # what describe() says per model (default: nothing)

    def chat_model(self, kind: BackendKind, model: str, **kwargs: Any) -> ScriptedChatModel:
        self.formats.append(kwargs.get("format"))
        if model not in self.models:
            self.models[model] = ScriptedChatModel(script=list(self.scripts.get(model, [])), model=model)
        return self.models[model]

    def preload(self, kind: BackendKind, model: str, timeout: float, **kwargs: Any) -> PreloadResult:
        self.preloads.append(model)
        return PreloadResult(kind=kind, model=model, ok=True, cold=len(self.preloads) == 1, duration_s=0.01)

    def describe(self, kind: BackendKind, model: str, **kwargs: Any) -> ModelInfo:
        return self.infos.get(model) or ModelInfo(model=model)

    def fresh(self, kind: BackendKind, model: str, **kwargs: Any) -> ScriptedModelFactory | None:
        return self.fresh_factory
