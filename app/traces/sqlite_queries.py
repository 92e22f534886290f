"""Every read of the SQLite trace file: the filtered list, one trace by id or a unique prefix, the count, and the
stored labels an import merges with. Each runs on a connection the backend (app/traces/sqlite.py) gives it; queries
return records. The table's columns and a filter's conditions are shared with PostgreSQL (app/traces/table.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.traces.inputs import LABEL_COLUMNS, Fetch, attach, label_from_row
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, record_from_row
from app.traces.table import SELECT, Dialect, listing, utc
from chains import TraceEvent


def stored_time(value: datetime) -> str:
    """A time as the SQLite store keeps it: ISO text in UTC, so text order is time order. A record built with
    model_copy (or model_construct) skips TraceRecord's own conversion: a "20:00+08:00" stored as given sorted as
    the newest trace and passed a --since of 14:00 UTC. A time without an offset is UTC, as TraceRecord takes it."""
    return utc(value).isoformat()


# a name matched exactly: LIKE would read '_' in a name as a wildcard; times compared as UTC text
SQLITE = Dialect(
    mark="?",
    fired="instr(fired, ?) > 0",
    question="instr(unicode_lower(question), unicode_lower(?)) > 0",
    time=stored_time,
)


def list_records(conn: sqlite3.Connection, flt: TraceFilter, *, full: bool) -> list[TraceRecord]:
    """Records matching `flt`, newest first; without events, and with their inputs and labels when `full`."""
    sql, args = listing(flt, SQLITE)
    rows = conn.execute(sql, args).fetchall()
    records = [_record(row, events=()) for row in rows]
    return attach(records, _fetcher(conn)) if full else records


def get_record(conn: sqlite3.Connection, trace_id: str) -> TraceRecord | None:
    """The trace `trace_id` names, or a unique prefix of it, with its events, inputs and labels."""
    row = conn.execute(SELECT + " WHERE trace_id = ?", (trace_id,)).fetchone()
    if row is None and trace_id:
        # allow a unique prefix, as people copy short ids from tables, in any case: ids are lowercase, yet an
        # import before they were normalised may have stored one in capitals
        matches = conn.execute(
            SELECT + " WHERE lower(substr(trace_id, 1, length(?))) = lower(?) LIMIT 2", (trace_id, trace_id)
        ).fetchall()
        row = matches[0] if len(matches) == 1 else None
    if row is None:
        return None
    events = conn.execute("SELECT event_json FROM events WHERE trace_id = ? ORDER BY seq", (row[0],)).fetchall()
    record = _record(row, events=tuple(TraceEvent.model_validate_json(e[0]) for e in events))
    return attach([record], _fetcher(conn))[0]


def get_records(conn: sqlite3.Connection, ids: Sequence[str]) -> list[TraceRecord]:
    """The traces `ids` name exactly, in that order (one gone meanwhile is left out), each as get_record reads it:
    events, inputs and labels included, in a few queries for all of them (an export reads a page at a time)."""
    rows: dict[str, Sequence[Any]] = {}
    events: dict[str, list[TraceEvent]] = {}
    for start in range(0, len(ids), 500):
        part = list(ids[start : start + 500])
        marks = ",".join("?" * len(part))
        rows.update((row[0], row) for row in conn.execute(SELECT + f" WHERE trace_id IN ({marks})", part))
        query = f"SELECT trace_id, event_json FROM events WHERE trace_id IN ({marks}) ORDER BY trace_id, seq"
        for trace_id, body in conn.execute(query, part):
            events.setdefault(trace_id, []).append(TraceEvent.model_validate_json(body))
    records = [_record(rows[i], events=tuple(events.get(i, ()))) for i in ids if i in rows]
    return attach(records, _fetcher(conn))


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM traces").fetchone()[0])


def stored_labels(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, list[TraceLabel]]:
    """Trace id -> its stored labels, for each of `ids` that is stored (with no labels: an empty list)."""
    stored: dict[str, list[TraceLabel]] = {}
    for start in range(0, len(ids), 500):
        part = list(ids[start : start + 500])
        marks = ",".join("?" * len(part))
        for (trace_id,) in conn.execute(f"SELECT trace_id FROM traces WHERE trace_id IN ({marks})", part):
            stored[trace_id] = []
        for row in conn.execute(f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE trace_id IN ({marks})", part):
            stored[row[0]].append(label_from_row(row))
    return stored


def _fetcher(conn: sqlite3.Connection) -> Fetch:
    """What `attach` reads the records' inputs, labels and chunk texts with."""
    queries = {
        "inputs": "SELECT trace_id, inputs_json FROM trace_inputs WHERE trace_id IN ({})",
        "labels": f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE trace_id IN ({{}})",
        "texts": "SELECT digest, chunk_id, text FROM chunk_texts WHERE digest IN ({})",
    }
    return lambda what, keys: conn.execute(queries[what].format(",".join("?" * len(keys))), list(keys)).fetchall()


def _record(row: Sequence[Any], *, events: tuple[TraceEvent, ...]) -> TraceRecord:
    return record_from_row(row, created_at=datetime.fromisoformat(row[1]), events=events)
