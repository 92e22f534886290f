"""A file that changes between the walk that lists it and the read: each is one clear per-file problem, the rest of
the folder is indexed, and what was indexed before is kept unless the file is known to be gone. The change is made
from the progress callback, which ingest calls just before it reads each file.

Found by a hunt: a file deleted or renamed meanwhile was "cannot read the file (No such file or directory); check
that it exists and its permissions", sending the user to permissions for a file that was renamed."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from app.documents import file_bytes
from app.documents.index import DocumentIndex
from app.documents.ingest import IngestProgress
from tests.app.documents.folders import INSTALL, MB, PORT, ingest, write_folder

pytestmark = pytest.mark.disable_socket
VICTIM = "notes.md"
NOTES = "# Notes\n\nThe shelf label is amber.\n"


def _rename(path: Path) -> None:
    path.rename(path.with_name("renamed.md"))


def _to_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _to_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _grow(path: Path) -> None:
    path.write_text(NOTES + "x" * (2 * MB))


def _empty(path: Path) -> None:
    path.write_text("")


CASES: list[tuple[str, Callable[[Path], None], str, str, bool]] = [  # change, kind, words, earlier version kept?
    ("deleted", Path.unlink, "unreadable", "the file is gone (No such file or directory): deleted, moved or renamed", False),
    ("renamed", _rename, "unreadable", "run ingest again to index it where it is now", False),
    ("became a folder", _to_folder, "unreadable", "not a regular file", False),
    ("became a pipe", _to_fifo, "unreadable", "not a regular file", False),
    ("grew past the limit", _grow, "too_large", "over the 1.0 MB limit", False),
    ("emptied", _empty, "empty", "the file is empty", False),
]


def _before_read(change: Callable[[Path], None], docs: Path) -> Callable[[IngestProgress], None]:
    def hook(event: IngestProgress) -> None:
        if event.stage == "load" and event.current == VICTIM:
            change(docs / VICTIM)

    return hook


@pytest.mark.parametrize("known", [False, True], ids=["new", "indexed before"])
@pytest.mark.parametrize(("what", "change", "kind", "says", "kept"), CASES, ids=[c[0] for c in CASES])
def test_a_file_changed_between_listing_and_reading_is_one_clear_problem(
    tmp_path: Path, index: DocumentIndex, what, change, kind, says, kept, known
) -> None:
    docs = write_folder(tmp_path / "docs", {"install.md": INSTALL, VICTIM: NOTES, "sub/port.md": PORT})
    if known:
        ingest([docs], docs, index)
    report = ingest([docs], docs, index, progress=_before_read(change, docs))
    [problem] = report.problems
    assert (problem.source, problem.kind) == (VICTIM, kind) and says in problem.message, problem.message
    assert "Error" not in problem.message and "check that it exists" not in problem.message
    sources = {d.source for d in index.documents()}
    assert {"install.md", "sub/port.md"} <= sources  # the rest indexed
    assert (VICTIM in sources) is (known and kept)
    assert (VICTIM in report.removed) is (known and not kept)


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (OSError(errno.EIO, "Input/output error"), "cannot read the file (Input/output error)"),
        (PermissionError(errno.EACCES, "Permission denied"), "cannot read the file (Permission denied)"),
        (OSError(errno.ESTALE, "Stale file handle"), "cannot read the file (Stale file handle)"),
    ],
)
def test_a_read_that_fails_keeps_the_earlier_version(
    tmp_path: Path, index: DocumentIndex, monkeypatch: pytest.MonkeyPatch, error: OSError, says: str
) -> None:
    docs = write_folder(tmp_path / "docs", {"install.md": INSTALL, VICTIM: NOTES})
    ingest([docs], docs, index)
    real = file_bytes._read_regular

    def failing(path: Path, **kw):
        if path.name == VICTIM:
            raise error
        return real(path, **kw)

    monkeypatch.setattr(file_bytes, "_read_regular", failing)
    (docs / VICTIM).write_text(NOTES + "More.\n")
    report = ingest([docs], docs, index)
    [problem] = report.problems
    assert problem.transient and says in problem.message and "stays indexed" in problem.message, problem.message
    assert {d.source for d in index.documents()} == {"install.md", VICTIM} and not report.removed
