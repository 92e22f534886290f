"""close() while the writer thread is stuck in a save (a PostgreSQL server gone: each attempt waits out the pool
timeout; a SQLite file another process keeps locked: the busy timeout): the batch it holds must still be kept."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from app.traces import TraceRecord, TraceStore, open_trace_backend
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
    tmp_path: Path, postgres: PostgresServer, pg_url: str
):
    dead = tmp_path / "rejected.jsonl"
    store = TraceStore(open_trace_backend(pg_url), dead_letter=dead)
    try:
        store.save(record(0))
        assert store.flush(timeout=30)
        postgres.stop()
        try:
            for i in range(1, 4):
                store.save(record(i))  # the writer takes them at once, then waits out the pool timeout (10 s)
            time.sleep(0.5)
            store.close(timeout=0.5)  # the process is ending with the server still gone
        finally:
            postgres.start()
        kept = [json.loads(line) for line in dead.read_text(encoding="utf-8").splitlines()] if dead.exists() else []
        assert sorted(k["record"]["trace_id"] for k in kept) == ["t0001", "t0002", "t0003"]  # before: none, all lost
    finally:
        store.flush(timeout=60)  # the stuck writer goes on once the server is back: let it finish before the pool closes
        store.close_backend()
