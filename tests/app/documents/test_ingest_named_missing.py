"""`ingest PATH` for a PATH deleted since it was indexed: its chunks leave the index, as a folder rescan prunes the
files that disappeared from it, and the problem says so (fake embeddings, real Chroma in tmp_path)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.documents.index import DocumentIndex
from tests.app.documents.folders import INSTALL, PORT, ingest, write_folder
from tests.app.documents.test_ingest_filesystem import _deny
from tests.fake_embeddings import BagOfWordsEmbeddings

pytestmark = pytest.mark.disable_socket


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    files = {"install.md": INSTALL, "guide/port.md": PORT, "guide/gpu.md": "# GPU\n\nSet the GPU layers.\n"}
    return write_folder(tmp_path / "docs", files)


def test_a_named_file_deleted_since_it_was_indexed_is_removed(
    docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    ingest([docs], docs, index, emb)
    (docs / "install.md").unlink()
    report = ingest([docs / "install.md"], docs, index, emb)
    assert report.removed == ("install.md",)
    assert sorted(index.source_hashes()) == ["guide/gpu.md", "guide/port.md"]
    [problem] = report.problems
    assert problem.source == (docs / "install.md").as_posix() and problem.kind == "unreadable"
    assert problem.message == "no such file or folder; check the path. Its earlier version was removed from the index."


def test_a_named_folder_deleted_since_it_was_indexed_loses_its_documents(
    docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    ingest([docs], docs, index, emb)
    shutil.rmtree(docs / "guide")
    report = ingest([docs / "guide"], docs, index, emb)
    assert sorted(report.removed) == ["guide/gpu.md", "guide/port.md"]
    assert sorted(index.source_hashes()) == ["install.md"]
    assert report.problems[0].message.endswith("The 2 documents indexed from it were removed from the index.")


def test_a_missing_path_that_was_never_indexed_removes_nothing(
    docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    ingest([docs], docs, index, emb)
    report = ingest([docs / "typo.md", docs / "guid"], docs, index, emb)
    assert report.removed == ()
    assert [p.message for p in report.problems] == ["no such file or folder; check the path."] * 2
    assert len(index.source_hashes()) == 3


def test_named_with_its_folder_it_is_removed_once(docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings) -> None:
    ingest([docs], docs, index, emb)
    (docs / "guide" / "port.md").unlink()
    report = ingest([docs, docs / "guide" / "port.md"], docs, index, emb)
    assert report.removed == ("guide/port.md",)
    assert sorted(index.source_hashes()) == ["guide/gpu.md", "install.md"]


def test_without_prune_it_stays(docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings) -> None:
    ingest([docs], docs, index, emb)
    (docs / "install.md").unlink()
    report = ingest([docs / "install.md"], docs, index, emb, prune=False)
    assert report.removed == () and "install.md" in index.source_hashes()


def test_a_path_that_cannot_be_looked_at_is_not_taken_for_gone(
    docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder on the way that became unreadable says nothing about the file: nothing is lost to a permission change."""
    ingest([docs], docs, index, emb)
    _deny(monkeypatch, docs / "guide")  # chmod 000 as a user who is not root meets it
    report = ingest([docs / "guide" / "port.md"], docs, index, emb)
    assert report.removed == () and "guide/port.md" in index.source_hashes()
    assert "Permission denied" in report.problems[0].message
