"""The SQLite backend's saving thread keeps one connection between batches (opening and closing one per batch
was most of the trace writer's CPU); the store releases it when its writer stops, and a failed save drops it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from app.traces import SqliteTraceBackend, TraceStore
from tests.app.test_traces import record


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread ident of every sqlite3 connection opened."""
    seen: list[int] = []
    real = sqlite3.connect

    def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        seen.append(threading.get_ident())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", connect)
    return seen


def test_the_writer_opens_one_connection_for_all_its_batches_and_close_releases_it(tmp_path: Path, opened: list[int]):
    db = tmp_path / "traces.sqlite3"
    store = TraceStore(db)
    for i in range(5):
        store.save(record(i))
        assert store.flush()  # one batch per save
    writer = {ident for ident in opened if ident != threading.get_ident()}
    assert len(writer) == 1 and opened.count(next(iter(writer))) == 1
    assert Path(f"{db}-wal").exists()  # the kept connection holds the WAL open
    store.close()
    assert not Path(f"{db}-wal").exists()  # the last connection closed: WAL checkpointed and removed
    assert store.count() == 5  # every batch went through the kept connection


def test_other_threads_get_their_own_short_connection(tmp_path: Path, opened: list[int]):
    backend = SqliteTraceBackend(tmp_path / "traces.sqlite3")
    worker = threading.Thread(target=backend.save_many, args=([record(1)],))
    worker.start()
    worker.join()
    before = len(opened)
    backend.save_many([record(2)])  # not the saving thread: a connection of its own, closed after
    backend.save_many([record(3)])
    assert len(opened) == before + 2
    assert backend.count() == 3
    backend.release()


def test_a_failed_save_drops_the_kept_connection(tmp_path: Path, opened: list[int]):
    backend = SqliteTraceBackend(tmp_path / "traces.sqlite3")
    backend.save_many([record(1)])
    first = len(opened)
    with sqlite3.connect(tmp_path / "traces.sqlite3") as other:
        other.execute("DROP TABLE events")
    with pytest.raises(sqlite3.OperationalError):
        backend.save_many([record(2)])
    before = len(opened)
    with pytest.raises(sqlite3.OperationalError):
        backend.save_many([record(3)])
    assert len(opened) == before + 1 and before > first  # the failed save's connection was not reused
