"""A local index's write lock when its holder is SIGKILLed: the OS frees the lock, and the next writer says that
it takes over from a writer that never finished (who, and what to run), instead of going on silently."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.app.documents.index_child import add, index_at

ROOT = Path(__file__).resolve().parents[3]


def _hold(path: Path) -> subprocess.Popen[str]:
    """A real second process holding the index's write lock (it writes one document, then sleeps)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.app.documents.index_child", "hold", str(path), "120"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read() if proc.stderr else ""
    return proc


def test_a_killed_writers_lock_is_taken_over_with_a_message_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "idx"
    index = index_at(str(path))
    proc = _hold(path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)

    messages: list[str] = []
    with index.writing("delete", on_wait=messages.append):  # no wait: the OS released the dead writer's lock
        add(index, "mine.md", "# Mine\n\nWritten by the process that took the lock over.")
    assert len(messages) == 1, messages
    assert f"pid {proc.pid}" in messages[0] and "ended without finishing" in messages[0]
    assert "taken over by this delete" in messages[0] and "guarded-rag ingest" in messages[0]
    assert "mine.md" in {d.source for d in index.documents()}

    # A lock released the ordinary way leaves nothing to report.
    again: list[str] = []
    with index.writing("ingest", on_wait=again.append):
        pass
    assert again == []


def test_the_holders_command_names_no_folder() -> None:
    """The waiting and rebuilding notices are shown to other users (the UI), and a path cut at 80 characters could not
    be hidden by hide_paths: path arguments are cut to their last part."""
    from app.documents.writelock import describe_holder

    owner = {"what": "ingest", "pid": 12, "command": "guarded-rag ingest /srv/users/alice/private/ C:\\data\\hr --rebuild"}
    shown = describe_holder(owner)
    assert "`guarded-rag ingest …/private …/hr --rebuild`" in shown and "alice" not in shown and "srv" not in shown
