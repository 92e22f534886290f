"""ingest_paths against what a real folder holds: names that are not UTF-8, folders that cannot be read, links to
files, PDFs whose text is far larger than the file. One bad entry never aborts the batch, and nothing indexed is
lost because a folder became unreadable (fake embeddings, local Chroma)."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.documents.index import DocumentIndex
from app.documents.ingest import IngestReport, expand_paths, source_for
from tests.app.documents.folders import GUIDE, ingest, write_folder
from tests.app.documents.pdfs import repeated_text_pdf
from tests.fake_embeddings import BagOfWordsEmbeddings

pytestmark = pytest.mark.disable_socket


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "docs", GUIDE)


# ---- a file name that is not UTF-8 -----------------------------------------------------------------------------


def _write_raw(folder: Path, name: bytes, text: str) -> bytes:
    path = os.path.join(os.fsencode(folder), name)
    try:
        with open(path, "wb") as fh:
            fh.write(text.encode("utf-8"))
    except OSError as exc:  # a file system that insists on UTF-8 names (not ext4, tmpfs, xfs)
        pytest.skip(f"this file system refuses a name that is not UTF-8: {exc}")
    return path


def test_a_file_named_in_latin1_is_indexed_under_a_readable_name_and_the_rest_too(
    docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    """Found by exploratory testing: chunk_id encoded the surrogate-escaped name as UTF-8 and the whole ingest
    stopped with UnicodeEncodeError. Two names that differ only in such a byte stay two documents."""
    cafe = _write_raw(docs, b"caf\xe9.md", "# Cafe\n\nThe espresso machine runs at nine bar.\n")
    _write_raw(docs, b"caf\xe8.md", "# Other\n\nThe grinder is set to fifteen.\n")
    report = ingest([docs], docs, index, emb)
    assert report.problems == ()
    assert sorted(report.added) == ["caf\\xe8.md", "caf\\xe9.md", "guide/port.md", "guide/zh.txt", "install.md"]
    assert "caf\\xe9.md" in json.loads(report.model_dump_json())["added"]  # it can be sent as JSON
    assert index.search("espresso machine bar", 1)[0].source == "caf\\xe9.md"

    again = ingest([docs], docs, index, emb)
    assert "caf\\xe9.md" in again.unchanged and again.added == () and again.removed == ()
    os.remove(cafe)
    assert ingest([docs], docs, index, emb).removed == ("caf\\xe9.md",)
    assert "caf\\xe8.md" in index.source_hashes() and "caf\\xe9.md" not in index.source_hashes()


# ---- a folder that cannot be read ------------------------------------------------------------------------------


def _deny(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """What a user who is not root meets at a folder chmod 000, whoever runs the test: the folder can be seen, not
    listed, and nothing in it can be looked at."""
    folder = folder.resolve()
    real_scandir, real_stat, real_lstat = os.scandir, os.stat, os.lstat

    def inside(path: Any, *, itself: bool) -> bool:
        if isinstance(path, int):
            return False
        where = Path(os.path.abspath(os.fsdecode(path)))
        return (itself and where == folder) or (where != folder and where.is_relative_to(folder))

    def denied(path: Any) -> OSError:
        return PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))

    def scandir(path: Any = ".") -> Any:
        if inside(path, itself=True):
            raise denied(path)
        return real_scandir(path)

    def guarded(real: Callable[..., os.stat_result]) -> Callable[..., os.stat_result]:
        def look(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if inside(path, itself=False):
                raise denied(path)
            return real(path, *args, **kwargs)

        return look

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", guarded(real_stat))
    monkeypatch.setattr(os, "lstat", guarded(real_lstat))


def _check_unreadable_folder_is_a_problem_and_keeps_its_documents(report: IngestReport, docs: Path, index: DocumentIndex) -> None:
    assert [(p.source, p.kind) for p in report.problems] == [((docs / "guide").as_posix(), "unreadable")]
    assert report.problems[0].message.startswith("cannot read this folder (Permission denied): ")
    assert report.removed == () and report.added == ("new.md",)
    assert {"guide/port.md", "guide/zh.txt", "install.md", "new.md"} == set(index.source_hashes())


def test_a_folder_that_became_unreadable_is_a_problem_and_its_documents_stay(
    docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by exploratory testing: the prune step looked at guide/port.md, got PermissionError, and the whole
    ingest stopped. Its documents must not be pruned either: the folder is there, only unreadable now."""
    ingest([docs], docs, index, emb)
    (docs / "new.md").write_text("# New\n\nAdded while guide was locked.\n", encoding="utf-8")
    _deny(monkeypatch, docs / "guide")
    report = ingest([docs], docs, index, emb)
    _check_unreadable_folder_is_a_problem_and_keeps_its_documents(report, docs, index)


def _chmod_000_blocks(folder: Path) -> bool:
    """Whether this process is kept out of a folder chmod 000: not as root, unless run without its capabilities
    (`setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search`)."""
    probe = folder / "probe"
    probe.mkdir()
    probe.chmod(0)
    try:
        os.listdir(probe)
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
        probe.rmdir()
    return False


def test_a_folder_chmod_000_is_a_problem_and_its_documents_stay(
    docs: Path, tmp_path: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    if not _chmod_000_blocks(tmp_path):
        pytest.skip("this process reads a folder chmod 000 all the same (root); the test above simulates it")
    ingest([docs], docs, index, emb)
    (docs / "new.md").write_text("# New\n\nAdded while guide was locked.\n", encoding="utf-8")
    (docs / "guide").chmod(0)
    try:
        report = ingest([docs], docs, index, emb)
    finally:
        (docs / "guide").chmod(0o755)
    _check_unreadable_folder_is_a_problem_and_keeps_its_documents(report, docs, index)


def test_a_file_named_inside_an_unreadable_folder_is_a_problem(docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _deny(monkeypatch, docs / "guide")
    files, _, problems = expand_paths([docs / "guide" / "port.md", docs / "install.md"])
    assert files == [(docs / "install.md").resolve()]
    assert [(p.source, p.message) for p in problems] == [
        ((docs / "guide" / "port.md").as_posix(), "cannot reach it (Permission denied); check the path and its permissions.")
    ]


# ---- links to files --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("remove", ["the link", "its target"])
def test_a_link_to_a_file_is_its_own_document_and_leaves_with_the_link(
    docs: Path, tmp_path: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings, remove: str
) -> None:
    """Found by exploratory testing: a link's text was stored under its target's absolute path, outside the folder,
    so prune never looked at it again and it stayed in the index after the link was removed. (A link that leads
    out of the folder is refused now; one to a file of a hidden folder, which is not walked, is still read.)"""
    outside = docs / ".archive"
    outside.mkdir()
    (outside / "notes.md").write_text("# Notes\n\nThe walrus archive moved to shelf nine.\n", encoding="utf-8")
    link = docs / "notes-link.md"
    link.symlink_to(outside / "notes.md")
    assert "notes-link.md" in ingest([docs], docs, index, emb).added
    (link if remove == "the link" else outside / "notes.md").unlink()
    report = ingest([docs], docs, index, emb)
    assert report.removed == ("notes-link.md",)
    assert set(index.source_hashes()) == {"guide/port.md", "guide/zh.txt", "install.md"}
    assert all("walrus" not in hit.text for hit in index.search("walrus archive shelf", 3))


def test_a_link_to_a_file_of_the_same_folder_is_read_once_under_the_real_name(
    docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    (docs / "a-alias.md").symlink_to(docs / "install.md")  # sorts before it
    report = ingest([docs], docs, index, emb)
    assert sorted(report.added) == ["guide/port.md", "guide/zh.txt", "install.md"]


def test_a_file_is_never_named_dot(docs: Path) -> None:
    """A file given as the root (GUARDED_RAG_DOCS_DIR set to a file) was indexed under the source "."."""
    file = docs / "install.md"
    assert source_for(file, file) == file.resolve().as_posix()


# ---- a PDF whose text is far larger than the file ---------------------------------------------------------------


def test_a_small_pdf_with_too_much_text_is_a_problem_and_the_rest_is_indexed(
    docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by exploratory testing: a 300 KB PDF of 2,000 pages sharing one content stream yields 100 million
    characters, and the size limit (on the bytes on disk) let it through. Here: 40,000 characters from a 2 KB file,
    against a limit of 20,000 (MAX_TEXT_MB 0 leaves the file size limit as the text limit)."""
    monkeypatch.setattr("app.documents.loaders.MAX_TEXT_MB", 0, raising=False)
    pdf = repeated_text_pdf("Ollama listens on port 11434. " * 33, pages=40)
    assert len(pdf) < 20_000
    (docs / "bomb.pdf").write_bytes(pdf)
    report = ingest([docs], docs, index, emb, max_bytes=20_000)
    assert [(p.source, p.kind) for p in report.problems] == [("bomb.pdf", "too_large")]
    assert report.problems[0].message.startswith("extracted text larger than ")
    assert sorted(report.added) == ["guide/port.md", "guide/zh.txt", "install.md"]


def test_chunk_ids_hash_any_name_and_keep_their_values() -> None:
    """chunk_id itself no longer raises on a lone surrogate; every other name hashes as before (stable ids)."""
    import hashlib

    from app.documents.chunking import chunk_id

    assert chunk_id("caf\udce9.md", "text") != chunk_id("caf\udce8.md", "text")
    assert chunk_id("默认.md", "端口", 2) == hashlib.sha256("默认.md\0端口\0002".encode()).hexdigest()[:16]
