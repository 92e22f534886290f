"""Two imports of the same trace at once (two machines importing overlapping exports into one shared store): the
labels of both must be kept, as when they run one after the other. On PostgreSQL the second import read the
stored labels before the first had committed the trace (nothing to lock yet), then replaced the trace's labels
with its own once the first committed: the first import's labels were lost. SQLite serializes imports.

The first import is held after writing, before committing, until the second is seen waiting on it (on SQLite: it
asked for the write lock; on PostgreSQL: its session waits on a lock), so whatever the second read, it read
before the first committed. Before, a sleep hoped the second had got that far."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.traces import TraceLabel, TraceStore, open_trace_backend, sqlite_file
from app.traces import postgres as pg_backend
from app.traces import sqlite as sqlite_backend
from tests.app.traces.lock_waits import WriteLockAsks, pg_lock_waiters
from tests.app.traces.test_contract import rich

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def export(path: Path, target: str) -> Path:
    label = TraceLabel(target=target, correct=True, decision="fired", created_at=T0)
    path.write_text(rich(1, labels=(label,)).model_dump_json() + "\n", encoding="utf-8")
    return path


def test_two_imports_of_a_new_trace_at_once_keep_the_labels_of_both(
    target: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    first, second = TraceStore(open_trace_backend(target)), TraceStore(open_trace_backend(target))
    written, go_on = threading.Event(), threading.Event()
    try:
        asks = WriteLockAsks("second")
        if isinstance(target, Path):
            monkeypatch.setattr(sqlite_backend, "connect", asks.wrap(sqlite_file.connect))
            real_sqlite = sqlite_backend.SqliteTraceBackend._write

            def held_sqlite(self: Any, conn: Any, records: Any) -> None:
                real_sqlite(self, conn, records)
                if threading.current_thread().name == "first":
                    written.set()
                    go_on.wait(60)

            monkeypatch.setattr(sqlite_backend.SqliteTraceBackend, "_write", held_sqlite)
        else:
            real_pg = pg_backend.write_traces

            def held_pg(cur: Any, records: Any, *rest: Any) -> None:
                real_pg(cur, records, *rest)
                if threading.current_thread().name == "first":
                    written.set()  # the first import has written the trace, not yet committed
                    go_on.wait(60)

            monkeypatch.setattr(pg_backend, "write_traces", held_pg)
        a, b = export(tmp_path / "a.jsonl", "relevance"), export(tmp_path / "b.jsonl", "prompt_injection")
        one = threading.Thread(target=first.import_jsonl, args=(a,), name="first")
        one.start()
        assert written.wait(30)
        two = threading.Thread(target=second.import_jsonl, args=(b,), name="second")
        two.start()
        # the second import is under way: waiting on the first (everything it read, it read before the first commits)
        waiting = asks["second"].wait(30) if isinstance(target, Path) else pg_lock_waiters(target, timeout=30)
        go_on.set()
        assert waiting, "the second import never waited on the first"
        one.join(60)
        two.join(60)
        assert not one.is_alive() and not two.is_alive()
        got = first.get(rich(1).trace_id)
        assert got is not None and sorted(lb.target for lb in got.labels) == ["prompt_injection", "relevance"]
    finally:
        go_on.set()  # a failed assertion must not leave the first import held
        for store in (first, second):
            store.close()
            store.close_backend()
