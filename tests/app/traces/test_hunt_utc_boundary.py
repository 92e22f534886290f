"""Every store keeps times in UTC: a record or label built with model_copy (which skips TraceRecord's own
conversion) with a "+08:00" time was stored by SQLite as that text, and since SQLite compares times as text it
sorted as the newest trace and passed a --since filter it is older than. Converted at the store's boundary now."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from app.traces import SqliteTraceBackend, TraceFilter, TraceLabel, TraceStore
from tests.app.test_traces import record

PLUS8 = timezone(timedelta(hours=8))
NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _at(i: int, when: datetime):
    return record(i).model_copy(update={"created_at": when})  # no validation: the time stays as given


def test_a_time_with_another_offset_is_filtered_and_ordered_as_the_moment_it_is(store: TraceStore):
    store.save(_at(1, datetime(2026, 5, 1, 20, 0, tzinfo=PLUS8)))  # 12:00 UTC
    store.save(_at(2, NOON + timedelta(hours=1)))  # 13:00 UTC
    assert [r.trace_id for r in store.list()] == ["t0002", "t0001"]
    assert [r.trace_id for r in store.list(TraceFilter(since=NOON + timedelta(minutes=30)))] == ["t0002"]
    assert [r.trace_id for r in store.list(TraceFilter(until=NOON + timedelta(minutes=30)))] == ["t0001"]
    assert store.get("t0001").created_at == NOON  # type: ignore[union-attr]


def test_a_filter_built_without_validation_compares_in_utc(store: TraceStore):
    store.save(_at(1, NOON))
    late = TraceFilter().model_copy(update={"since": datetime(2026, 5, 1, 20, 30, tzinfo=PLUS8)})  # 12:30 UTC
    assert store.list(late) == []
    early = TraceFilter().model_copy(update={"since": datetime(2026, 5, 1, 19, 30, tzinfo=PLUS8)})  # 11:30 UTC
    assert [r.trace_id for r in store.list(early)] == ["t0001"]


def test_sqlite_stores_utc_text_for_traces_and_labels(tmp_path: Path):
    backend = SqliteTraceBackend(tmp_path / "t.sqlite3")
    label = TraceLabel(target="outcome", correct=True, decision="answered", created_at=NOON)
    label = label.model_copy(update={"created_at": datetime(2026, 5, 1, 21, 0, tzinfo=PLUS8)})
    naive = datetime(2026, 5, 1, 14, 0)  # no offset: UTC, as TraceRecord takes it
    backend.save_many([_at(1, datetime(2026, 5, 1, 20, 0, tzinfo=PLUS8)).model_copy(update={"labels": (label,)}), _at(2, naive)])
    with sqlite3.connect(tmp_path / "t.sqlite3") as conn:
        traces = dict(conn.execute("SELECT trace_id, created_at FROM traces").fetchall())
        labels = [row[0] for row in conn.execute("SELECT created_at FROM labels")]
    assert traces == {"t0001": "2026-05-01T12:00:00+00:00", "t0002": "2026-05-01T14:00:00+00:00"}
    assert labels == ["2026-05-01T13:00:00+00:00"]
