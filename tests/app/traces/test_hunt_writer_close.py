"""close() while the writer thread is stuck in a save (a PostgreSQL server gone: each attempt waits out the pool
timeout; a SQLite file another process keeps locked: the busy timeout): the batch it holds must still be kept."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.traces import TraceBackend, TraceRecord, TraceStore, open_trace_backend
from tests.app.test_trace_store import FlakyBackend
from tests.app.test_traces import record
from tests.postgres_server import PostgresServer


class HangingBackend(FlakyBackend):
    """A backend that is gone: the writer thread's saves wait until `released`, every other save fails with a
    transient error; once released (the test is over), saves go through."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.entered = threading.Event()
        self.released = threading.Event()

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        if threading.current_thread().name == "trace-writer":
            self.entered.set()
            self.released.wait(timeout=60)
        if not self.released.is_set():
            raise OSError("connection timed out")
        self.real.save_many(records)


class WriterSaves:
    """Watches a backend's save_many: `holding` is set once the writer thread is inside a save of one of `ids`;
    `seen_by_others` is, for each save made by another thread (close()'s last try), what the writer was saving at
    that moment. The state the test needs is then known, not hoped for after a sleep."""

    def __init__(self, backend: TraceBackend, ids: set[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self._real = backend.save_many
        self._ids = ids
        self._lock = threading.Lock()
        self._writing: set[str] = set()  # the ids the writer thread is saving right now
        self.holding = threading.Event()
        self.seen_by_others: list[set[str]] = []
        monkeypatch.setattr(backend, "save_many", self.save_many)

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        ids = {r.trace_id for r in records}
        if threading.current_thread().name != "trace-writer":
            with self._lock:
                self.seen_by_others.append(set(self._writing))
            self._real(records)
            return
        with self._lock:
            self._writing = ids
        if ids & self._ids:
            self.holding.set()
        try:
            self._real(records)
        finally:
            with self._lock:
                self._writing = set()


def test_close_keeps_the_batch_a_stuck_writer_holds(tmp_path: Path):
    dead = tmp_path / "rejected.jsonl"
    backend = HangingBackend(tmp_path / "t.db")
    store = TraceStore(backend, dead_letter=dead)
    try:
        for i in range(3):
            store.save(record(i))
        assert backend.entered.wait(timeout=10)  # the writer holds all three, in a save that does not return
        store.close(timeout=0.2)  # the process is ending: what the writer holds must not vanish with it
        kept = [json.loads(line) for line in dead.read_text(encoding="utf-8").splitlines()] if dead.exists() else []
        assert sorted(k["record"]["trace_id"] for k in kept) == ["t0000", "t0001", "t0002"]  # before: t0000 was lost
        assert all("connection timed out" in k["error"] for k in kept)
    finally:
        backend.released.set()


def test_traces_being_written_when_the_postgres_server_is_gone_at_close_are_kept(
    tmp_path: Path, postgres: PostgresServer, pg_url: str, monkeypatch: pytest.MonkeyPatch
):
    dead = tmp_path / "rejected.jsonl"
    backend = open_trace_backend(pg_url)
    saves = WriterSaves(backend, {"t0001", "t0002", "t0003"}, monkeypatch)
    store = TraceStore(backend, dead_letter=dead)
    try:
        store.save(record(0))
        assert store.flush(timeout=30)
        postgres.stop()
        try:
            for i in range(1, 4):
                store.save(record(i))  # the writer takes them, then waits out the pool timeout (10 s)
            assert saves.holding.wait(timeout=30)
            store.close(timeout=0.5)  # the process is ending with the server still gone
        finally:
            postgres.start()
        kept = [json.loads(line) for line in dead.read_text(encoding="utf-8").splitlines()] if dead.exists() else []
        assert sorted(k["record"]["trace_id"] for k in kept) == ["t0001", "t0002", "t0003"]  # before: none, all lost
        # close()'s last try was made while the writer was still inside its save (else it tested only the queue)
        assert saves.seen_by_others and saves.seen_by_others[0] & {"t0001", "t0002", "t0003"}, saves.seen_by_others
    finally:
        store.flush(timeout=60)  # the stuck writer goes on once the server is back: let it finish before the pool closes
        store.close_backend()
