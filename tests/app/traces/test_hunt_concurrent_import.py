"""Two imports of the same trace at once (two machines importing overlapping exports into one shared store): the
labels of both must be kept, as when they run one after the other. On PostgreSQL the second import read the
stored labels before the first had committed the trace (nothing to lock yet), then replaced the trace's labels
with its own once the first committed: the first import's labels were lost. SQLite serializes imports."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.traces import TraceLabel, TraceStore, open_trace_backend
from app.traces import postgres as pg_backend
from app.traces import sqlite as sqlite_backend
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
    try:
        written, go_on = threading.Event(), threading.Event()
        if isinstance(target, Path):
            real_sqlite = sqlite_backend.SqliteTraceBackend._write

            def held_sqlite(self: Any, conn: Any, records: Any) -> None:
                real_sqlite(self, conn, records)
                if threading.current_thread().name == "first":
                    written.set()
                    go_on.wait(10)

            monkeypatch.setattr(sqlite_backend.SqliteTraceBackend, "_write", held_sqlite)
        else:
            real_pg = pg_backend.write_traces

            def held_pg(cur: Any, records: Any, *rest: Any) -> None:
                real_pg(cur, records, *rest)
                if threading.current_thread().name == "first":
                    written.set()  # the first import has written the trace, not yet committed
                    go_on.wait(10)

            monkeypatch.setattr(pg_backend, "write_traces", held_pg)
        a, b = export(tmp_path / "a.jsonl", "relevance"), export(tmp_path / "b.jsonl", "prompt_injection")
        one = threading.Thread(target=first.import_jsonl, args=(a,), name="first")
        one.start()
        assert written.wait(10)
        two = threading.Thread(target=second.import_jsonl, args=(b,), name="second")
        two.start()
        time.sleep(0.5)  # the second import is under way (waiting on the first)
        go_on.set()
        one.join(30)
        two.join(30)
        got = first.get(rich(1).trace_id)
        assert got is not None and sorted(lb.target for lb in got.labels) == ["prompt_injection", "relevance"]
    finally:
        for store in (first, second):
            store.close()
            store.close_backend()
