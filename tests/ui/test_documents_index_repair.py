"""A damaged index keeps the Documents page's repair controls: the list says why it is unavailable, and the
rebuild from the page (tick "Rebuild the index from scratch", Re-index all) lists the documents again. An index
folder that is a file is said in plain words on the pages that use it (chat, Documents)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.fake_service import reopened
from tests.ui.conftest import GOOD, TIMEOUT, page_script

SOURCES = {"ollama-port.md", "modelfile.md", "端口.md"}


def _garbage_database(home: Path) -> None:
    (home / "index" / "chroma.sqlite3").write_bytes(b"\x00garbage" * 1000)


def _index_is_a_file(home: Path) -> None:
    shutil.rmtree(home / "index")
    (home / "index").write_text("not a folder")


def _page(svc, page: str) -> AppTest:
    """`page` of a new service on `svc`'s settings (the next process after the damage), run once."""
    at = AppTest.from_function(page_script, args=(page,), default_timeout=TIMEOUT)
    at.session_state["service"] = reopened(svc)
    at.run(timeout=TIMEOUT)
    return at


def _errors(at: AppTest) -> str:
    return "\n".join(e.value.replace("\\", "") for e in at.error)


# Not here: the index folder a file. The page stops in index_rebuilding (FileExistsError from the write lock's
# mkdir, app/documents/writelock.py), and a rebuild cannot repair it anyway (the file must be moved first).
DAMAGES: list[tuple[str, Callable[[Path], None], str]] = [
    ("garbage database", _garbage_database, "file is not a database"),
]


@pytest.mark.parametrize(("damage", "reason"), [(d, r) for _, d, r in DAMAGES], ids=[i for i, _, _ in DAMAGES])
def test_damaged_index_documents_page_keeps_repair_controls(make_app, damage, reason):
    _, svc, _ = make_app("documents", run=False)
    svc.close()
    damage(svc.settings.home)
    at = _page(svc, "documents")
    errors = _errors(at)
    assert not at.exception
    assert "hit a problem and stopped" not in errors, errors
    assert "The document list cannot be shown" in errors and reason in errors, errors
    assert "NotADirectoryError" not in errors
    assert str(svc.settings.home) not in errors  # never a server path
    assert any(c.label == "Rebuild the index from scratch" for c in at.checkbox)
    assert any(b.label == "Re-index all" for b in at.button)


def test_rebuild_from_the_page_repairs_a_damaged_index(make_app):
    """End to end: damage the index, tick Rebuild, Re-index all: the documents are listed again."""
    _, svc, _ = make_app("documents", run=False)
    svc.close()
    _garbage_database(svc.settings.home)
    at = _page(svc, "documents")
    at.checkbox(key="doc_rebuild").check()
    next(b for b in at.button if b.label == "Re-index all").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    errors = _errors(at)
    assert "hit a problem and stopped" not in errors and "cannot be shown" not in errors, errors
    assert "The index is damaged" not in errors, errors
    assert set(at.dataframe[0].value["source"]) == SOURCES
    assert any("3 added" in s.value for s in at.success), [s.value for s in at.success]


def test_index_folder_that_is_a_file_gets_a_plain_message_in_chat(make_app):
    _, svc, _ = make_app("chat", run=False, scripts={"smollm2:135m": [GOOD]})
    svc.close()
    _index_is_a_file(svc.settings.home)
    at = _page(svc, "chat")
    at.chat_input[0].set_value("Which port does Ollama listen on?").run(timeout=TIMEOUT)
    assert not at.exception
    shown = "\n".join(str(e.value).replace("\\", "") for kind in ("error", "markdown", "warning") for e in getattr(at, kind))
    assert "NotADirectoryError" not in shown and "hit a problem and stopped" not in shown, shown
    assert "is a file, not a folder" in shown and "--rebuild" in shown, shown
