"""A SQLite trace file another process holds a write transaction on (a long import, a stuck writer) does not stop
`ask`, `serve` or `traces`: opening a file whose schema is current takes no write lock, so the question is answered
and its trace written once the lock is gone (or, when the process ends first, set aside in the dead-letter file
with the error), and a listing reads as any WAL reader does. Before, every open took BEGIN IMMEDIATE to check the
schema, and after the busy timeout (30 s) `ask` exited 1 without answering ("cannot open the trace database …:
database is locked"), `traces --last 3` did the same and `serve` did not start. The holder here is a real second
connection; the busy timeout is made short so a failure is quick."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from app.cli.main import main
from app.traces import SqliteTraceBackend, TraceStore, TraceStoreError, sqlite_file
from app.traces import sqlite as sqlite_backend
from app.traces.migrations import VERSION_TABLE, latest
from tests.app.test_traces import record
from tests.app.traces.lock_waits import WriteLockAsks
from tests.fake_service import make_service, reopened

BUSY_S = 0.2  # 30 s in the app


@pytest.fixture(autouse=True)
def _short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_file, "BUSY_S", BUSY_S)


@contextmanager
def _held(path: Path, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
    """Another connection holding the file's write lock (BEGIN `mode`, in WAL mode) until the block ends or the
    yielded connection rolls back."""
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)) as holder:
        holder.execute(f"BEGIN {mode}")
        try:
            yield holder
        finally:
            if holder.in_transaction:
                holder.execute("ROLLBACK")


def _current(path: Path) -> None:
    backend = SqliteTraceBackend(path)
    backend.save_many([record(1)])
    backend.release()


def _one_behind(path: Path) -> None:
    """A file at the schema before the latest: opening it has to migrate, and so needs the write lock."""
    backend = SqliteTraceBackend(path)
    backend.release()
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute(f"DELETE FROM {VERSION_TABLE} WHERE version = ?", (latest("sqlite"),))


@pytest.mark.parametrize(
    ("make", "mode", "opens"),
    [
        (_current, "IMMEDIATE", True),
        (_current, "EXCLUSIVE", True),  # in WAL mode readers go on beside an exclusive writer
        (_one_behind, "IMMEDIATE", False),  # a migration still waits for the lock, and says so after the timeout
    ],
    ids=["current-immediate", "current-exclusive", "behind-needs-the-lock"],
)
def test_opening_a_store_another_connection_is_writing_to(tmp_path: Path, make, mode: str, opens: bool) -> None:
    path = tmp_path / "traces.sqlite3"
    make(path)
    with _held(path, mode):
        if opens:
            backend = SqliteTraceBackend(path)
            assert backend.schema_version == latest("sqlite")
            assert [r.trace_id for r in backend.list()] == ["t0001"]  # and it reads, lock still held
        else:
            with pytest.raises(TraceStoreError, match="database is locked"):
                SqliteTraceBackend(path)


def test_traces_lists_while_another_process_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svc, _ = make_service(tmp_path)
    assert main(["ask", "Is this plan reasonable?"], io.StringIO(), build=lambda s: svc) == 0
    out = io.StringIO()
    with _held(svc.settings.trace_db):
        code = main(["traces", "--last", "3", "--json"], out, build=lambda s: reopened(svc))
    err = capsys.readouterr().err
    assert code == 0, err
    assert [json.loads(line)["status"] for line in out.getvalue().splitlines()] == ["clarify"]


def test_ask_answers_while_another_process_writes_and_its_trace_is_written_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    svc, _ = make_service(tmp_path)
    path = svc.settings.trace_db
    asks = WriteLockAsks("trace-writer")
    monkeypatch.setattr(sqlite_backend, "connect", asks.wrap(sqlite_file.connect))
    out = io.StringIO()
    with _held(path) as holder:
        # the lock goes once the trace writer has asked for it: the answer came while it was held
        releaser = threading.Thread(target=lambda: (asks["trace-writer"].wait(10), holder.execute("ROLLBACK")), name="releaser")
        releaser.start()
        code = main(["ask", "Is this plan reasonable?"], out, build=lambda s: reopened(svc))
        releaser.join()
    err = capsys.readouterr().err
    assert code == 0, err
    assert "NEEDS CLARIFICATION" in out.getvalue()
    assert [r.status for r in SqliteTraceBackend(path).list()] == ["clarify"]
    assert not svc.settings.rejected_traces.exists()


def test_a_trace_still_locked_out_when_the_store_closes_goes_to_the_dead_letters(tmp_path: Path) -> None:
    path, rejected = tmp_path / "traces.sqlite3", tmp_path / "traces-rejected.jsonl"
    _current(path)
    with _held(path):
        store = TraceStore(path, dead_letter=rejected)  # before: this open failed with "database is locked"
        store.save(record(2))
        store.close(timeout=0.5)
        (line,) = rejected.read_text(encoding="utf-8").splitlines()
    kept = json.loads(line)
    assert kept["record"]["trace_id"] == "t0002" and kept["location"] == str(path)
    assert "database is locked" in kept["error"]
