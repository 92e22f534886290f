"""UploadFolder.remove said "none" (no file) after it had removed a dangling link from the uploads folder: it
asked is_file(), which follows the link, then unlinked the link anyway."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.documents.ingest_types import IngestReport
from app.documents.load_types import LoadProblem
from app.documents.uploads import UploadFolder
from app.documents.walk import display

pytestmark = pytest.mark.disable_socket


@pytest.fixture
def folder(tmp_path: Path) -> UploadFolder:
    (tmp_path / "docs").mkdir()
    (tmp_path / "home" / "uploads").mkdir(parents=True)
    return UploadFolder(home=tmp_path / "home", docs_dir=tmp_path / "docs")


def test_removing_a_dangling_link_says_it_was_removed(folder: UploadFolder, tmp_path: Path) -> None:
    link = folder.path / "gone.md"
    link.symlink_to(tmp_path / "nowhere.md")
    assert folder.remove(link.as_posix()) == "removed"
    assert not link.is_symlink()


def test_removing_a_link_removes_the_link_and_keeps_its_file(folder: UploadFolder, tmp_path: Path) -> None:
    target = tmp_path / "mine.md"
    target.write_text("# Mine\n", encoding="utf-8")
    link = folder.path / "mine.md"
    link.symlink_to(target)
    assert folder.remove(link.as_posix()) == "removed"
    assert not link.is_symlink() and target.read_text(encoding="utf-8") == "# Mine\n"


def test_removing_what_is_not_there_says_none(folder: UploadFolder) -> None:
    assert folder.remove((folder.path / "never.md").as_posix()) == "none"


def test_an_upload_whose_name_is_not_utf8_is_found_by_its_source(folder: UploadFolder) -> None:
    # a source shows such a name with \xNN escapes (walk.display); the file was looked for under the escaped text
    raw = folder.path / os.fsdecode(b"caf\xe9.md")
    try:
        raw.write_bytes(b"")
    except OSError as exc:  # a file system that insists on UTF-8 names
        pytest.skip(f"this file system refuses a name that is not UTF-8: {exc}")
    source = display(raw)
    assert "\\xe9" in source and folder.label(source) == "uploads/caf\\xe9.md"
    report = IngestReport(problems=(LoadProblem(source=source, kind="empty", message="the file is empty."),))
    assert folder.discard_unreadable(report) == (source,)
    assert not os.path.lexists(raw)
