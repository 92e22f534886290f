"""A trace store whose backend stays down (a PostgreSQL server stopped, a full disk) while requests go on: once
the queue is full, a request's trace goes to the dead-letter file (imported later) instead of the request
waiting for room. Before, every request waited in `save` for as long as the backend stayed down: the service
stopped answering because its trace store had."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from app.traces import TraceFilter, TraceRecord, TraceStore, count_set_aside
from tests.app.test_traces import record


class DownBackend:
    """A backend whose every save fails as a stopped server's does (worth a retry, never a rejection)."""

    location = "postgresql://down"

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        raise OSError("connection refused")

    def list(self, flt: TraceFilter | None = None, *, full: bool = False) -> list[TraceRecord]:
        raise AssertionError("not read in this test")

    def get(self, trace_id: str) -> TraceRecord | None:
        raise AssertionError("not read in this test")

    def count(self) -> int:
        raise AssertionError("not read in this test")


def _wait_until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_full_queue_while_the_backend_is_down_sets_traces_aside_instead_of_holding_requests(tmp_path: Path):
    dead_letter = tmp_path / "rejected.jsonl"
    store = TraceStore(DownBackend(), max_pending=2, batch=1, dead_letter=dead_letter)  # type: ignore[arg-type]
    try:
        store.save(record(0))
        _wait_until(lambda: store.status().failing)
        store.save(record(1))  # the queue: t0000 (back from its failed try) and t0001, full
        request = threading.Thread(target=store.save, args=(record(2),), daemon=True)
        request.start()
        request.join(timeout=5.0)
        assert not request.is_alive(), "a request waited for room while the trace backend was down"
        status = store.status()
        assert status.overflowed == 1 and status.pending == 2
        assert count_set_aside(dead_letter) == 1
    finally:
        store.close(timeout=0.5)  # the two queued ones go to the dead-letter file too
    assert count_set_aside(dead_letter) == 3
    later = TraceStore(tmp_path / "traces.sqlite3", background=False)
    assert later.import_jsonl(dead_letter).imported == 3
    assert sorted(r.trace_id for r in later.list()) == ["t0000", "t0001", "t0002"]


def test_a_full_queue_of_a_slow_backend_that_works_still_waits_for_room(tmp_path: Path):
    """Back-pressure is kept when nothing fails: a trace that would be stored goes nowhere else."""
    gate = threading.Event()
    dead_letter = tmp_path / "rejected.jsonl"

    class Slow(DownBackend):
        def __init__(self) -> None:
            self.saved: list[str] = []

        def save_many(self, records: Sequence[TraceRecord]) -> None:
            gate.wait()
            self.saved.extend(r.trace_id for r in records)

    backend = Slow()
    store = TraceStore(backend, max_pending=1, batch=1, dead_letter=dead_letter)  # type: ignore[arg-type]
    store.save(record(0))  # in flight, held by the gate
    store.save(record(1))  # queued: full
    request = threading.Thread(target=store.save, args=(record(2),), daemon=True)
    request.start()
    request.join(timeout=0.5)
    assert request.is_alive()  # waiting for room
    gate.set()
    request.join(timeout=5.0)
    assert store.flush(timeout=5.0)
    store.close()
    assert backend.saved == ["t0000", "t0001", "t0002"] and not dead_letter.exists()
