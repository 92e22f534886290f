"""Bug hunt: ingest's prune step and names that are not UTF-8 (fake embeddings, local Chroma)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from app.documents.index import DocumentIndex
from app.documents.ingest import IngestReport, ingest_paths
from tests.fake_embeddings import BagOfWordsEmbeddings

pytestmark = pytest.mark.disable_socket


def _run(paths: list[Path], docs: Path, index: DocumentIndex) -> IngestReport:
    return ingest_paths(paths, index=index, embeddings=BagOfWordsEmbeddings(), root=docs, max_bytes=10**6)


def _raw(folder: Path, name: bytes) -> Path:
    """`folder`/`name`, a name whose bytes are not UTF-8, as Python holds it (surrogate-escaped)."""
    return Path(os.fsdecode(os.path.join(os.fsencode(folder), name)))


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:  # a file system that insists on UTF-8 names
        pytest.skip(f"this file system refuses a name that is not UTF-8: {exc}")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "install.md").write_text("# Install\n\nRun the install script.\n", encoding="utf-8")
    return root


def test_a_latin1_named_file_that_is_still_there_is_not_pruned(docs: Path, index: DocumentIndex) -> None:
    """A hidden draft named on its own is indexed; ingesting its folder later leaves it (the walk skips hidden
    files, and prune removes only what is gone). Prune looked for the file under its escaped name
    ("caf\\xe9.md" with a backslash), found nothing there, and removed a file that exists."""
    (docs / ".drafts").mkdir()
    plain, latin1 = docs / ".drafts" / "cafe.md", _raw(docs / ".drafts", b"caf\xe9.md")
    plain.write_text("# Tea\n\nTea and scones at four.\n", encoding="utf-8")
    _write(latin1, "# Cafe\n\nThe espresso machine runs at nine bar.\n")
    assert sorted(_run([plain, latin1], docs, index).added) == [".drafts/caf\\xe9.md", ".drafts/cafe.md"]
    report = _run([docs], docs, index)
    assert report.added == ("install.md",) and report.removed == ()
    assert {".drafts/caf\\xe9.md", ".drafts/cafe.md"} <= set(index.source_hashes())


def test_documents_of_a_latin1_named_folder_that_became_unreadable_stay(
    docs: Path, index: DocumentIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing indexed is lost to a permission change, whatever the folder is called: the prune step looked at
    the escaped name, which does not exist (ENOENT, "gone"), instead of the folder, which says EACCES."""
    folder = _raw(docs, b"r\xe9sum\xe9")
    try:
        folder.mkdir()
    except OSError as exc:
        pytest.skip(f"this file system refuses a name that is not UTF-8: {exc}")
    (folder / "cv.md").write_text("# CV\n\nTen years of espresso machine repair.\n", encoding="utf-8")
    assert "r\\xe9sum\\xe9/cv.md" in _run([docs], docs, index).added

    real_scandir, real_stat = os.scandir, os.stat

    def inside(path: Any, *, itself: bool) -> bool:
        where = Path(os.path.abspath(os.fsdecode(path))) if not isinstance(path, int) else None
        return where is not None and ((itself and where == folder) or (where != folder and where.is_relative_to(folder)))

    def scandir(path: Any = ".") -> Any:
        if inside(path, itself=True):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if inside(path, itself=False):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)
    report = _run([docs], docs, index)
    assert [p.kind for p in report.problems] == ["unreadable"]
    assert report.removed == () and "r\\xe9sum\\xe9/cv.md" in index.source_hashes()


def test_a_link_retargeted_to_a_file_of_the_folder_does_not_keep_its_old_text(
    tmp_path: Path, docs: Path, index: DocumentIndex
) -> None:
    """A link to a file the walk does not read (in a hidden folder) is a document of its own. Once it points at a
    file the folder holds, the file is read under its own name only (one file, one document): the link's chunks,
    still the old target's text, must go, not stay in the index for ever, never read again and cited as if current."""
    (docs / ".archive").mkdir()
    outside = docs / ".archive" / "outside.md"
    outside.write_text("# Old\n\nThe espresso machine runs at nine bar.\n", encoding="utf-8")
    (docs / "latest.md").symlink_to(outside)
    assert "latest.md" in _run([docs], docs, index).added
    (docs / "latest.md").unlink()
    (docs / "latest.md").symlink_to(docs / "install.md")
    report = _run([docs], docs, index)
    assert report.removed == ("latest.md",)
    assert set(index.source_hashes()) == {"install.md"}
    assert all("espresso" not in text for _, _, text in index.rows())
