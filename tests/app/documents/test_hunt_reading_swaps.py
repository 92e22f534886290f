"""A file swapped for a link between the walk (which refuses links that lead out of the folder) and the read was
followed: the walk saw a regular file, the read opened whatever the link named (another user's notes, a key). The
read path now opens the name without following a link (O_NOFOLLOW) and follows one by hand only into the folder.
The swap is made from the progress callback, which ingest calls just before it reads each file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from app.documents.file_bytes import read_bytes
from app.documents.index import DocumentIndex
from app.documents.ingest import IngestProgress
from app.documents.load_types import LoadProblem
from tests.app.documents.folders import INSTALL, MB, SECRET, indexed_text, ingest, write_folder

pytestmark = pytest.mark.disable_socket


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    notes, other = "# Notes\n\nThe shelf label is amber.\n", "# Other\n\nThe crate is painted teal.\n"
    return write_folder(tmp_path / "docs", {"install.md": INSTALL, "notes.md": notes, "other.md": other})


def _swap_before_read(name: str, folder: Path, target: Path) -> Callable[[IngestProgress], None]:
    """A progress callback that replaces `folder`/`name` with a link to `target` just before ingest reads it."""

    def swap(event: IngestProgress) -> None:
        if event.stage == "load" and event.current == name:
            (folder / name).unlink()
            (folder / name).symlink_to(target)

    return swap


def test_a_file_swapped_for_a_link_out_of_the_folder_after_the_walk_is_not_read(
    docs: Path, secret: Path, index: DocumentIndex
) -> None:
    report = ingest([docs], docs, index, progress=_swap_before_read("notes.md", docs, secret))
    assert "walrus" not in indexed_text(index)
    assert sorted(report.added) == ["install.md", "other.md"]
    [problem] = report.problems
    assert problem.source == "notes.md" and problem.kind == "unsupported" and not problem.transient
    assert str(secret) in problem.message and "outside the folder" in problem.message


def test_a_named_file_of_the_docs_folder_swapped_for_a_link_out_is_not_read(
    docs: Path, secret: Path, index: DocumentIndex
) -> None:
    report = ingest([docs / "notes.md"], docs, index, progress=_swap_before_read("notes.md", docs, secret))
    assert "walrus" not in indexed_text(index) and report.added == ()
    assert [p.source for p in report.problems] == ["notes.md"]


def test_a_file_swapped_for_a_link_inside_the_folder_is_still_read(docs: Path, index: DocumentIndex) -> None:
    (docs / "drafts").mkdir()
    (docs / "drafts" / "kept.md").write_text("# Kept\n\nThe ledger is blue.\n", encoding="utf-8")
    report = ingest([docs], docs, index, progress=_swap_before_read("notes.md", docs, docs / "drafts" / "kept.md"))
    assert "notes.md" in report.added and report.problems == ()
    assert "ledger" in indexed_text(index)


def test_read_bytes_within_a_folder_refuses_a_link_out_and_follows_one_in(docs: Path, secret: Path) -> None:
    (docs / "out.md").symlink_to(secret)
    (docs / "in.md").symlink_to(docs / "other.md")
    refused = read_bytes(docs / "out.md", max_bytes=MB, within=docs)
    assert isinstance(refused, LoadProblem) and refused.kind == "unsupported", refused
    assert read_bytes(docs / "in.md", max_bytes=MB, within=docs) == (docs / "other.md").read_bytes()
    assert read_bytes(docs / "out.md", max_bytes=MB) == SECRET.encode()  # a file named by the user: followed


def test_a_pipe_swapped_in_is_still_refused_as_not_a_regular_file(docs: Path, index: DocumentIndex) -> None:
    def swap(event: IngestProgress) -> None:
        if event.stage == "load" and event.current == "notes.md":
            (docs / "notes.md").unlink()
            os.mkfifo(docs / "notes.md")

    report = ingest([docs], docs, index, progress=swap)
    assert [(p.source, p.kind) for p in report.problems] == [("notes.md", "unreadable")]


def test_a_folder_swapped_for_a_link_out_after_the_walk_is_not_read(docs: Path, secret: Path, index: DocumentIndex) -> None:
    # O_NOFOLLOW guards the file's own name only: a folder on the way can be swapped for a link as well
    (docs / "guide").mkdir()
    (docs / "guide" / "vault.md").write_text("# Vault\n\nThe shelf is empty.\n", encoding="utf-8")

    def swap(event: IngestProgress) -> None:
        if event.stage == "load" and event.current == "guide/vault.md":
            (docs / "guide").rename(docs.parent / "moved-guide")
            (docs / "guide").symlink_to(secret.parent, target_is_directory=True)

    report = ingest([docs], docs, index, progress=swap)
    assert "walrus" not in indexed_text(index)
    assert [(p.source, p.kind) for p in report.problems] == [("guide/vault.md", "unsupported")]


def test_a_file_replaced_between_open_and_check_is_tried_again_not_refused(
    docs: Path, index: DocumentIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the check that the opened file is the one inside the folder must not call an editor's save a link out
    from app.documents import file_bytes

    opened = file_bytes._open
    original = (docs / "notes.md").read_bytes()

    def open_then_save(path: Path, within: Path | None) -> int:
        if path.name == "notes.md" and within is not None:
            fd = os.open(path, os.O_RDONLY)
            (docs / "saved.tmp").write_bytes(original + b"More.\n")
            os.replace(docs / "saved.tmp", path)  # an atomic save, after the open
            try:
                file_bytes._held_inside(fd, path, within)
            except BaseException:
                os.close(fd)
                raise
            return fd
        return opened(path, within)

    monkeypatch.setattr(file_bytes, "_open", open_then_save)
    report = ingest([docs], docs, index)
    [problem] = report.problems
    assert problem.source == "notes.md" and problem.transient and "replaced" in problem.message
