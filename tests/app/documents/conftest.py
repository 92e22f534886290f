"""Fixtures the ingest tests share: fake bag-of-words embeddings, a real Chroma index in tmp_path, a private file
outside the docs folder (tests/app/documents/folders.py), and a real Chroma server on loopback (one per test module)
for the tests of machines sharing one."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.documents.index import DocumentIndex
from tests.app.documents.folders import write_secret
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.robustness.conftest import ChromaServer


@pytest.fixture
def emb() -> BagOfWordsEmbeddings:
    return BagOfWordsEmbeddings()


@pytest.fixture
def index(tmp_path: Path, emb: BagOfWordsEmbeddings) -> DocumentIndex:
    return DocumentIndex(path=tmp_path / "idx", collection="docs", embeddings=emb)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """tmp_path/private/vault.md, holding folders.SECRET: what a link out of the docs folder leads to."""
    return write_secret(tmp_path)


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    found = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the chroma CLI (from the chromadb wheel) is not installed")
    server = ChromaServer(found, tmp_path_factory.mktemp("chroma-server"))
    server.start()
    yield server
    server.kill()
