"""The SQLite trace file deleted or replaced while the app runs (a user resetting their traces with
`rm ~/.guarded-rag/traces.sqlite3*`, a backup copied back in): later traces go to the file at the path, and
reads work. Before, the writer's kept connection went on writing into the deleted file (each trace counted as
written, and lost) and every read failed with "no such table: traces" on the empty file opened in its place."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.traces import SqliteTraceBackend, TraceStore
from tests.app.test_traces import record


def _remove_database(path: Path) -> None:
    for part in path.parent.glob(path.name + "*"):  # the file and its -wal and -shm
        part.unlink()


def test_traces_saved_after_the_file_is_deleted_are_in_the_new_file(tmp_path: Path):
    path = tmp_path / "traces.sqlite3"
    store = TraceStore(SqliteTraceBackend(path))
    try:
        store.save(record(0))
        assert store.count() == 1  # the writer now keeps its connection open
        _remove_database(path)
        store.save(record(1))
        assert store.flush(timeout=10)
        assert [r.trace_id for r in store.list()] == ["t0001"]
    finally:
        store.close()
    assert [r.trace_id for r in SqliteTraceBackend(path).list()] == ["t0001"]  # on disk, seen by another process


def test_traces_saved_after_a_backup_is_restored_go_into_the_restored_file(tmp_path: Path):
    path = tmp_path / "traces.sqlite3"
    backup = tmp_path / "backup.sqlite3"
    old = SqliteTraceBackend(backup)
    old.save_many([record(7)])
    old.release()
    store = TraceStore(SqliteTraceBackend(path))
    try:
        store.save(record(0))
        assert store.count() == 1
        _remove_database(path)
        shutil.copyfile(backup, path)
        store.save(record(1))
        assert store.flush(timeout=10)
        assert sorted(r.trace_id for r in store.list()) == ["t0001", "t0007"]
    finally:
        store.close()
    assert sorted(r.trace_id for r in SqliteTraceBackend(path).list()) == ["t0001", "t0007"]
