"""Saved uploads (app/documents/uploads.py): how a source reads to people, which file is an upload, removing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents.ingest_types import IngestReport
from app.documents.load_types import LoadProblem
from app.documents.uploads import UploadFolder


@pytest.fixture
def folder(tmp_path: Path) -> UploadFolder:
    (tmp_path / "docs").mkdir()
    (tmp_path / "home" / "uploads").mkdir(parents=True)
    return UploadFolder(home=tmp_path / "home", docs_dir=tmp_path / "docs")


def upload(folder: UploadFolder, name: str, data: bytes = b"# x\n\ntext") -> str:
    path = folder.path / name
    path.write_bytes(data)
    return path.as_posix()  # ingest names a file outside the docs folder by its absolute path


def test_labels_never_show_a_server_path(folder: UploadFolder):
    assert folder.label("guide/setup.md") == "guide/setup.md"  # docs folder: already relative
    assert folder.label(upload(folder, "walrus.md")) == "uploads/walrus.md"
    assert folder.label("/srv/elsewhere/notes.txt") == "…/notes.txt"
    assert "/" not in folder.label("/srv/elsewhere/notes.txt").removeprefix("…/")


def test_only_files_directly_in_the_uploads_folder_are_uploads(folder: UploadFolder, tmp_path: Path):
    source = upload(folder, "a.md")
    assert folder.file_of(source) == folder.path / "a.md"
    assert folder.file_of("a.md") is None  # the docs folder's a.md
    assert folder.file_of((folder.path / "sub" / "a.md").as_posix()) is None
    assert folder.file_of((tmp_path / "elsewhere.md").as_posix()) is None


def test_a_home_inside_the_docs_folder_makes_uploads_the_users_documents(tmp_path: Path):
    docs = tmp_path / "docs"
    (docs / "home" / "uploads").mkdir(parents=True)
    (docs / "home" / "uploads" / "a.md").write_text("# a\n\ntext", encoding="utf-8")
    inside = UploadFolder(home=docs / "home", docs_dir=docs)
    assert inside.file_of("home/uploads/a.md") is None
    assert inside.remove("home/uploads/a.md") == "kept" and (docs / "home" / "uploads" / "a.md").is_file()


def test_remove_deletes_an_upload_and_never_a_docs_file(folder: UploadFolder):
    source = upload(folder, "a.md")
    (folder.docs_dir / "b.md").write_text("# b\n\ntext", encoding="utf-8")
    assert folder.remove(source) == "removed" and not Path(source).exists()
    assert folder.remove(source) == "none"
    assert folder.remove("b.md") == "kept" and (folder.docs_dir / "b.md").is_file()
    assert folder.remove("gone.md") == "none"


def test_discard_unreadable_removes_the_uploads_with_a_lasting_problem(folder: UploadFolder):
    bad = upload(folder, "bad.txt", b"caf\xe9 " * 40)
    slow = upload(folder, "slow.md")
    good = upload(folder, "good.md")
    (folder.docs_dir / "mine.txt").write_bytes(b"\x00\x01")
    report = IngestReport(
        added=(good,),
        problems=(
            LoadProblem(source=bad, kind="encoding", message="unreadable encoding"),
            LoadProblem(source=slow, kind="unreadable", message="did not finish", transient=True),
            LoadProblem(source="mine.txt", kind="binary", message="looks binary"),
        ),
    )
    assert folder.discard_unreadable(report) == (bad,)
    assert not Path(bad).exists()
    assert Path(slow).exists() and Path(good).exists()  # a read that hung is read again; a good upload stays
    assert (folder.docs_dir / "mine.txt").exists()  # the user's own folder is never touched


def test_hide_paths_names_the_folders_as_people_know_them(folder: UploadFolder):
    home, docs = folder.home.resolve().as_posix(), folder.docs_dir.resolve().as_posix()
    message = f"kept the index at {home}/index locked; {folder.path.as_posix()}/a.md and {docs}/b.md"
    shown = folder.hide_paths(message)
    assert shown == "kept the index at <home>/index locked; uploads/a.md and <docs>/b.md"
