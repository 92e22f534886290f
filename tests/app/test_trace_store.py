"""The background trace writer: saves leave the request path, reads see every earlier save, a failing backend
loses nothing (retried, then back-pressure), and close() — also at interpreter exit — drains the queue."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from app.traces import SqliteTraceBackend, TraceFilter, TraceRecord, TraceStore
from tests.app.test_traces import record, refused


class FlakyBackend:
    """Wraps a real SQLite backend; the first `failures` saves raise, and `gate` can hold saves back."""

    def __init__(self, path: Path, failures: int = 0) -> None:
        self.real = SqliteTraceBackend(path)
        self.failures = failures
        self.batches: list[int] = []
        self.gate = threading.Event()
        self.gate.set()

    @property
    def location(self) -> str:
        return self.real.location

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise OSError("disk busy")
        self.batches.append(len(records))
        self.real.save_many(records)

    def list(self, flt: TraceFilter | None = None) -> list[TraceRecord]:
        return self.real.list(flt)

    def get(self, trace_id: str) -> TraceRecord | None:
        return self.real.get(trace_id)

    def count(self) -> int:
        return self.real.count()


def test_save_returns_before_the_write_and_reads_see_it(tmp_path: Path):
    backend = FlakyBackend(tmp_path / "t.db")
    store = TraceStore(backend)
    backend.gate.clear()  # the backend is slow: save() must not wait for it
    for i in range(5):
        store.save(record(i))
    assert backend.real.count() == 0 and store.status().pending == 5
    backend.gate.set()
    assert store.get("t0004") is not None  # waits for the earlier saves
    assert store.count() == 5 and store.status().pending == 0 and store.status().written == 5
    assert sum(backend.batches) == 5 and len(backend.batches) <= 5  # batched, in order


def test_a_failing_backend_is_retried_and_nothing_is_lost(tmp_path: Path):
    backend = FlakyBackend(tmp_path / "t.db", failures=2)
    store = TraceStore(backend)
    for i in range(3):
        store.save(record(i))
    assert store.flush(timeout=10)
    status = store.status()
    assert status.failures == 2 and status.last_error == "OSError: disk busy"
    assert [r.trace_id for r in store.list()] == ["t0002", "t0001", "t0000"]


def test_a_full_queue_applies_back_pressure_instead_of_dropping(tmp_path: Path):
    backend = FlakyBackend(tmp_path / "t.db")
    store = TraceStore(backend, max_pending=2, batch=1)
    backend.gate.clear()
    store.save(record(0))
    store.save(record(1))
    store.save(record(2))  # the writer holds one in flight: room for exactly two more
    blocked = threading.Thread(target=store.save, args=(record(3),))
    blocked.start()
    blocked.join(timeout=0.3)
    assert blocked.is_alive()  # waiting for room, not dropping
    backend.gate.set()
    blocked.join(timeout=10)
    assert not blocked.is_alive() and store.count() == 4


def test_close_drains_and_later_saves_are_synchronous(tmp_path: Path):
    store = TraceStore(tmp_path / "t.db")
    for i in range(20):
        store.save(record(i))
    store.close()
    assert SqliteTraceBackend(tmp_path / "t.db").count() == 20
    store.save(record(99))
    assert SqliteTraceBackend(tmp_path / "t.db").get("t0099") is not None


def test_a_process_that_exits_right_after_saving_keeps_its_traces(tmp_path: Path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from pathlib import Path; from app.traces import TraceStore; from tests.app.test_traces import record;"
        "s = TraceStore(Path(sys.argv[1]));"
        "[s.save(record(i)) for i in range(50)]"  # no close(): the atexit hook must drain
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "t.db"), str(root)], check=True, timeout=60)
    assert SqliteTraceBackend(tmp_path / "t.db").count() == 50


def test_a_record_that_cannot_be_built_is_reported_and_does_not_wedge_the_writer(tmp_path: Path):
    store = TraceStore(tmp_path / "t.db")

    def broken() -> TraceRecord:
        raise KeyError("bug")

    store.save(record(1))
    store.save(broken)
    store.save(lambda: record(2))  # built on the writer thread
    assert store.flush(timeout=10)
    status = store.status()
    assert status.unbuildable == 1 and status.last_error == "KeyError: 'bug'"
    assert [r.trace_id for r in store.list()] == ["t0002", "t0001"]


def test_a_record_the_backend_refuses_is_set_aside_and_the_rest_is_stored(tmp_path: Path):
    dead = tmp_path / "home" / "traces-rejected.jsonl"
    store = TraceStore(tmp_path / "t.db", dead_letter=dead)
    store.save(record(1))
    store.save(refused(2))
    store.save(lambda: record(3))
    assert store.flush(timeout=10)  # not wedged: before, the batch was retried forever and flush timed out
    store.save(record(4))  # and the writer goes on
    assert [r.trace_id for r in store.list()] == ["t0004", "t0003", "t0001"]
    status = store.status()
    assert status.rejected == 1 and status.dead_letter == str(dead) and status.pending == 0
    assert status.last_error is not None and status.last_error.startswith("IntegrityError")
    [line] = dead.read_text(encoding="utf-8").splitlines()
    kept = json.loads(line)
    assert kept["record"]["trace_id"] == "t0002" and "UNIQUE" in kept["error"] and kept["location"] == str(tmp_path / "t.db")
    assert TraceRecord.model_validate(kept["record"]).question == "q 2"  # nothing lost: the record is whole


def test_a_refused_record_in_synchronous_mode_is_set_aside_not_raised(tmp_path: Path, caplog):
    store = TraceStore(tmp_path / "t.db", background=False)  # no dead-letter file: the record goes to the log
    with caplog.at_level(logging.ERROR, logger="guarded_rag.traces"):
        store.save(refused(5))
    store.save(record(6))
    assert store.count() == 1 and store.status().rejected == 1
    assert any("t0005" in r.getMessage() and '"question": "q 5"' in r.getMessage() for r in caplog.records)


def test_a_transient_failure_is_still_retried_not_set_aside(tmp_path: Path):
    backend = FlakyBackend(tmp_path / "t.db", failures=1)
    backend.rejects = SqliteTraceBackend.rejects  # type: ignore[attr-defined]  # the real backend's rule; OSError is not a refusal
    store = TraceStore(backend, dead_letter=tmp_path / "dead.jsonl")
    store.save(record(7))
    assert store.flush(timeout=10)
    assert store.status().rejected == 0 and store.status().failures == 1 and store.count() == 1
    assert not (tmp_path / "dead.jsonl").exists()


def test_traces_the_backend_still_refuses_at_close_are_kept_and_can_be_imported_later(tmp_path: Path, caplog):
    # A read-only trace file: the writer retried, then close() logged "could not be written" and dropped them.
    dead = tmp_path / "home" / "traces-rejected.jsonl"
    backend = FlakyBackend(tmp_path / "t.db", failures=10**6)
    store = TraceStore(backend, dead_letter=dead)
    store.save(record(1))
    store.save(record(2))
    with caplog.at_level(logging.ERROR, logger="guarded_rag.traces"):
        store.close(timeout=0.5)
    assert store.status().pending == 0 and backend.real.count() == 0
    kept = [json.loads(line) for line in dead.read_text(encoding="utf-8").splitlines()]
    assert sorted(k["record"]["trace_id"] for k in kept) == ["t0001", "t0002"] and all("disk busy" in k["error"] for k in kept)
    later = TraceStore(tmp_path / "t.db")  # the store takes writes again: the kept traces go back in
    assert later.import_jsonl(dead).imported == 2
    assert sorted(r.trace_id for r in later.list()) == ["t0001", "t0002"] and later.get("t0002").question == "q 2"
