"""save_upload with a link of the upload's name already in uploads/: it raised ValueError ("refusing to write outside")
when the link led out of the folder, because the target's own name was resolved, and wrote through a link that
led elsewhere inside it. The link itself is now replaced by the upload; the file it named is never touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from views.uploads import original_name, save_upload

pytestmark = pytest.mark.disable_socket


def _uploads(home: Path) -> Path:
    folder = home / "uploads"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize("dangling", [False, True])
def test_a_link_of_the_uploads_name_is_replaced_and_its_file_left_alone(tmp_path: Path, dangling: bool) -> None:
    home = tmp_path / "home"
    outside = tmp_path / "elsewhere" / "notes.md"
    outside.parent.mkdir()
    if not dangling:
        outside.write_text("# Mine\n\nNot an upload.\n", encoding="utf-8")
    (_uploads(home) / "notes.md").symlink_to(outside)
    saved = save_upload(home, "notes.md", b"# Uploaded\n\ntext")  # raised ValueError
    assert saved == (home / "uploads" / "notes.md").resolve()
    assert not saved.is_symlink() and saved.read_bytes() == b"# Uploaded\n\ntext"
    assert outside.exists() != dangling
    if not dangling:
        assert outside.read_text(encoding="utf-8") == "# Mine\n\nNot an upload.\n"
    assert original_name(home, "notes.md") == "notes.md"
    assert sorted(p.name for p in (home / "uploads").iterdir()) == ["notes.md"]  # no temporary file left behind


def test_a_link_to_another_upload_is_replaced_not_written_through(tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = _uploads(home)
    (folder / "first.md").write_bytes(b"# First\n\nkept")
    (folder / "second.md").symlink_to(folder / "first.md")
    save_upload(home, "second.md", b"# Second\n\nnew")
    assert (folder / "first.md").read_bytes() == b"# First\n\nkept"  # was overwritten through the link
    assert (folder / "second.md").read_bytes() == b"# Second\n\nnew" and not (folder / "second.md").is_symlink()


def test_an_upload_replaces_an_earlier_one_of_its_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    save_upload(home, "a.md", b"# A\n\none")
    save_upload(home, "a.md", b"# A\n\ntwo")
    assert (home / "uploads" / "a.md").read_bytes() == b"# A\n\ntwo"
