"""Documents page: a button acts on the document it was drawn for, even when another session (or a CLI) changes
the index between the page being drawn and the click: a document deleted meanwhile is said, never replaced by
whichever one is now listed first."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from tests.ui.conftest import ROOT, TIMEOUT
from tests.ui.test_documents_page import button, upload


def child(*args: str) -> subprocess.Popen[str]:
    """tests/app/documents/index_child.py in a process of its own: another writer holding the index's real lock."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.app.documents.index_child", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def source_of(svc: Any, name: str) -> str:
    return next(d.source for d in svc.documents() if d.source.endswith(name))


def picked(make_app: Any, name: str) -> tuple[Any, Any]:
    at, svc, _ = make_app("documents")
    at.selectbox(key="doc_pick").set_value(name)
    at.run(timeout=TIMEOUT)
    return at, svc


def errors(at: Any) -> str:
    return "\n".join(e.value for e in at.error).replace("\\", "")


def test_reindex_of_a_document_another_session_deleted_says_so_and_touches_no_other(make_app, monkeypatch):
    at, svc = picked(make_app, "modelfile.md")
    svc.forget_document(source_of(svc, "modelfile.md"))  # another session, between drawing and the click
    reindexed: list[Any] = []
    monkeypatch.setattr(svc, "ingest", lambda paths, **kw: reindexed.append(paths))
    button(at, "Re-index").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert reindexed == []  # not the document now listed first
    assert "modelfile.md is no longer in the index" in errors(at)
    assert not at.success


def test_confirming_a_delete_another_session_already_did_says_so(make_app):
    at, svc = picked(make_app, "modelfile.md")
    button(at, "Delete").click()
    at.run(timeout=TIMEOUT)
    kept = {d.source for d in svc.documents()} - {source_of(svc, "modelfile.md")}
    svc.forget_document(source_of(svc, "modelfile.md"))  # another session deletes it while this one asks
    button(at, "Confirm delete").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert "modelfile.md is no longer in the index" in errors(at)
    assert {d.source for d in svc.documents()} == kept
    assert not any(b.label == "Confirm delete" for b in at.button)


def test_delete_of_a_document_another_session_deleted_does_not_ask_about_another(make_app):
    at, svc = picked(make_app, "modelfile.md")
    svc.forget_document(source_of(svc, "modelfile.md"))
    button(at, "Delete").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert not at.warning or not any("Delete " in w.value for w in at.warning)  # no question about another document
    assert not any(b.label == "Confirm delete" for b in at.button)
    assert "modelfile.md is no longer in the index" in errors(at)


def test_confirm_deletes_the_document_asked_about_when_another_session_added_one(make_app):
    at, svc = picked(make_app, "端口.md")
    button(at, "Delete").click()
    at.run(timeout=TIMEOUT)
    folder = svc.settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "aaa.md").write_text("# A\n\nAardvark notes from another session.", encoding="utf-8")
    svc.ingest_uploads([folder / "aaa.md"])  # the list changes under the question
    button(at, "Confirm delete").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    names = sorted(svc.source_label(d.source) for d in svc.documents())
    assert names == ["modelfile.md", "ollama-port.md", "uploads/aaa.md"]


def test_a_rebuild_by_another_process_is_said_not_shown_as_the_final_list(make_app):
    at, svc, _ = make_app("documents")
    index = svc.settings.home / "index"
    proc = child("rebuild-partial-hold", str(index), svc.settings.collection)  # a real process, the real lock
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        at.run(timeout=TIMEOUT)
        assert not at.exception
        said = "\n".join(i.value for i in at.info).replace("\\", "")
        assert f"The index is being rebuilt (another rebuild (pid {proc.pid}" in said, said
        assert "No documents indexed yet" not in said
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    at.run(timeout=TIMEOUT)
    assert not any("being rebuilt" in i.value for i in at.info)


def test_a_busy_index_at_upload_keeps_the_batchs_other_messages_and_says_what_was_saved(make_app, monkeypatch):
    from app import IndexBusyError

    at, svc, _ = make_app("documents")

    def busy(*_args: Any, **_kwargs: Any) -> Any:
        raise IndexBusyError("another ingest (pid 4242, `guarded-rag ingest`) kept the index locked for 600 s")

    monkeypatch.setattr(svc, "ingest_uploads", busy)
    upload(
        at,
        ("tool.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("walrus.md", b"# Walrus\n\nThe walrus festival happens in March.", "text/markdown"),
    )
    assert not at.exception
    said = errors(at)
    assert "tool.exe: file type .exe is not accepted" in said, said  # the bad file is still named
    assert "The index is busy: another ingest" in said
    assert "Saved but not indexed yet: walrus.md" in said
    assert (svc.settings.home / "uploads" / "walrus.md").is_file()
