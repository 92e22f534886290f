"""Fixtures the ingest tests share: fake bag-of-words embeddings and a real Chroma index in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents.index import DocumentIndex
from tests.fake_embeddings import BagOfWordsEmbeddings


@pytest.fixture
def emb() -> BagOfWordsEmbeddings:
    return BagOfWordsEmbeddings()


@pytest.fixture
def index(tmp_path: Path, emb: BagOfWordsEmbeddings) -> DocumentIndex:
    return DocumentIndex(path=tmp_path / "idx", collection="docs", embeddings=emb)
