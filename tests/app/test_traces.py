from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.traces import TraceFilter, TraceRecord, TraceStore, redact
from chains import TraceEvent


def record(i: int, *, status="answered", fired=(), question="q", events=3) -> TraceRecord:
    return TraceRecord(
        trace_id=f"t{i:04d}",
        created_at=datetime.now(UTC) + timedelta(seconds=i),
        question=f"{question} {i}",
        status=status,
        backend="embedded",
        model="m",
        llm_calls=1,
        latency_ms=10.0,
        fired=tuple(fired),
        result={"status": status},
        events=tuple(TraceEvent(seq=n + 1, step="input", name=f"e{n}", outcome="passed") for n in range(events)),
    )


def refused(i: int) -> TraceRecord:
    """A record every backend refuses, every time: two events with one seq break the events table's key."""
    good = record(i)
    return good.model_copy(update={"events": (good.events[0], good.events[0])})


def test_save_get_list_filters(tmp_path: Path):
    store = TraceStore(tmp_path / "t.db")
    store.save(record(1))
    store.save(record(2, status="clarify", fired=("completeness",), question="vague"))
    got = store.get("t0002")
    assert got is not None and got.fired == ("completeness",) and [e.name for e in got.events] == ["e0", "e1", "e2"]
    assert store.get("t000") is None  # ambiguous prefix
    assert store.get("t0001").trace_id == "t0001"
    assert [r.trace_id for r in store.list(TraceFilter(status="clarify"))] == ["t0002"]
    assert [r.trace_id for r in store.list(TraceFilter(guardrail="completeness"))] == ["t0002"]
    assert [r.trace_id for r in store.list(TraceFilter(text="VAGUE"))] == ["t0002"]
    assert [r.trace_id for r in store.list()] == ["t0002", "t0001"]


def test_concurrent_writers_lose_no_events(tmp_path: Path):
    path = tmp_path / "t.db"
    TraceStore(path)
    errors: list[BaseException] = []

    def write(start: int) -> None:
        store = TraceStore(path)  # each writer its own store, as separate processes would
        try:
            for i in range(start, start + 25):
                store.save(record(i, events=5))
            store.close()  # as a process does when it exits
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n * 100,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = TraceStore(path)
    assert not errors
    assert store.count() == 150
    assert all(len(store.get(r.trace_id).events) == 5 for r in store.list(TraceFilter(limit=1000)))


def test_export_jsonl(tmp_path: Path):
    store = TraceStore(tmp_path / "t.db")
    for i in range(3):
        store.save(record(i))
    out = tmp_path / "x.jsonl"
    assert store.export_jsonl(out) == 3
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and TraceRecord.model_validate_json(lines[0]).events


def test_redact_is_stable_and_hides_text():
    assert redact("secret plan") == redact("secret plan") and "secret" not in redact("secret plan")
