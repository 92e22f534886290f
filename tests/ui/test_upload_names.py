"""Uploads in separate batches whose names clean to the same safe name: another original name gets a numbered
file (the earlier upload is kept), the same original name replaces its earlier upload (a new version)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import TIMEOUT
from tests.ui.test_documents_page import upload
from views.uploads import original_name, save_upload, upload_filename


def notices(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning).replace("\\", "").replace("\u200b", "")


def saved(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (home / "uploads").iterdir()}


def test_another_name_in_a_later_batch_keeps_the_earlier_upload(make_app):
    at, svc, _ = make_app("documents")
    upload(at, ("a b.md", b"# First\n\nThe first document about otters.", "text/markdown"))
    at.run(timeout=TIMEOUT)  # the page shows the fresh uploader (a new key) after an upload
    upload(at, ("a_b.md", b"# Second\n\nThe second document about beavers.", "text/markdown"))
    assert not at.exception
    files = saved(svc.settings.home)
    assert sorted(files) == ["a_b-2.md", "a_b.md"]
    assert b"otters" in files["a_b.md"] and b"beavers" in files["a_b-2.md"]
    said = notices(at)
    assert "earlier upload of another name is saved as a_b.md, so this one was saved as a_b-2.md" in said
    assert "replaced" not in said
    assert {d.source.rsplit("/", 1)[-1] for d in svc.documents()} >= {"a_b.md", "a_b-2.md"}


def test_two_emoji_names_in_two_batches_are_both_kept(make_app):
    at, svc, _ = make_app("documents")
    upload(at, ("🦦.md", b"# Otter\n\nOtters hold hands while sleeping.", "text/markdown"))
    at.run(timeout=TIMEOUT)
    upload(at, ("🦫.md", b"# Beaver\n\nBeavers build dams from branches.", "text/markdown"))
    assert not at.exception
    files = saved(svc.settings.home)
    assert sorted(files) == ["upload-2.md", "upload.md"]
    assert b"Otters" in files["upload.md"] and b"Beavers" in files["upload-2.md"]


def test_the_same_name_again_replaces_its_earlier_upload(make_app):
    at, svc, _ = make_app("documents")
    upload(at, ("a b.md", b"# First\n\nThe first version about otters.", "text/markdown"))
    at.run(timeout=TIMEOUT)
    upload(at, ("a b.md", b"# Second\n\nThe second version about beavers.", "text/markdown"))
    assert not at.exception
    files = saved(svc.settings.home)
    assert sorted(files) == ["a_b.md"]
    assert b"beavers" in files["a_b.md"]
    assert "replaced the earlier upload a_b.md" in notices(at)


def test_upload_filename_numbers_past_every_earlier_upload_of_other_names(tmp_path):
    for name in ("a b.md", "a<b.md"):
        save_upload(tmp_path, name, b"# x\n\ntext", filename=upload_filename(tmp_path, name, []))
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["a_b-2.md", "a_b.md"]
    assert original_name(tmp_path, "a_b-2.md") == "a<b.md"
    assert upload_filename(tmp_path, "a<b.md", []) == "a_b-2.md"  # its new version replaces it
    assert upload_filename(tmp_path, "a:b.md", []) == "a_b-3.md"
    assert upload_filename(tmp_path, "a b.md", ["a_b.md"]) == "a_b-3.md"  # this batch already has a_b.md


def test_an_upload_saved_before_names_were_recorded_counts_as_its_own_name(tmp_path):
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "a_b.md").write_bytes(b"# old\n\ntext")
    assert upload_filename(tmp_path, "a_b.md", []) == "a_b.md"
    assert upload_filename(tmp_path, "a b.md", []) == "a_b-2.md"


def test_the_same_name_in_another_unicode_form_is_the_same_upload(tmp_path):
    composed, decomposed = "caf\u00e9 notes.md", "cafe\u0301 notes.md"
    save_upload(tmp_path, composed, b"# x\n\ntext", filename=upload_filename(tmp_path, composed, []))
    assert upload_filename(tmp_path, decomposed, []) == "café_notes.md"
    assert upload_filename(tmp_path, "cafe notes.md", []) == "cafe_notes.md"
