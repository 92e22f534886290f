"""The SQL of the PostgreSQL trace store: the rows a trace is written as (with its events, inputs and labels), the
filter of a listing, and turning rows back into records. Part of the PostgreSQL backend (app/traces/postgres.py),
which runs these on a pooled connection under its deadline (`renew` restarts it before each statement).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

import psycopg

from app.traces import table
from app.traces.inputs import LABEL_COLUMNS, label_row, pack
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, record_from_row
from app.traces.table import COLUMNS, Dialect, record_row, utc
from chains import TraceEvent

_LABEL_UPSERT = (
    f"INSERT INTO labels ({', '.join(LABEL_COLUMNS)}) VALUES ({', '.join(['%s'] * len(LABEL_COLUMNS))}) "
    "ON CONFLICT (trace_id, target, attempt) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in LABEL_COLUMNS[3:])
)
FETCH = {
    "inputs": "SELECT trace_id, inputs_json FROM trace_inputs WHERE trace_id = ANY(%s)",
    "labels": f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE trace_id = ANY(%s)",
    "texts": "SELECT digest, chunk_id, text FROM chunk_texts WHERE digest = ANY(%s)",
}


def listing(flt: TraceFilter, fold: str) -> tuple[str, list[Any]]:
    """The query (and its arguments) of the records matching `flt`, newest first; `fold`: the COLLATE clause the
    question search lowers text under (postgres_schema.case_folding)."""
    question = f"strpos(lower(question{fold}), lower(%s::text{fold})) > 0"
    return table.listing(flt, Dialect(mark="%s", fired="strpos(fired, %s) > 0", question=question, time=utc))


def write_traces(cur: psycopg.Cursor[tuple[Any, ...]], records: Sequence[TraceRecord], renew: Callable[[], None]) -> None:
    """Insert or replace `records`, their events, inputs and labels, inside the caller's transaction; `renew`
    restarts the deadline before each statement (a large import is many statements, each bounded)."""
    if not records:
        return
    renew()
    records = list({r.trace_id: r for r in records}.values())  # a trace saved twice in one batch: the last wins
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
    cur.executemany(
        f"INSERT INTO traces ({', '.join(COLUMNS)}) VALUES ({placeholders}) ON CONFLICT (trace_id) DO UPDATE SET {updates}",
        [record_row(r, utc) for r in records],  # a time without an offset is UTC, not the server session's zone
    )
    renew()
    cur.execute("DELETE FROM events WHERE trace_id = ANY(%s)", ([r.trace_id for r in records],))
    renew()
    cur.executemany(
        "INSERT INTO events VALUES (%s, %s, %s)",
        [(r.trace_id, e.seq, e.model_dump_json()) for r in records for e in r.events],
    )
    # replay inputs (chunk texts into their shared table) and labels, replacing older ones
    ids = [r.trace_id for r in records]
    renew()
    cur.execute("DELETE FROM trace_inputs WHERE trace_id = ANY(%s)", (ids,))
    renew()
    cur.execute("DELETE FROM labels WHERE trace_id = ANY(%s)", (ids,))
    packed = [(r.trace_id, *pack(r.inputs)) for r in records if r.inputs is not None]
    renew()
    cur.executemany("INSERT INTO trace_inputs VALUES (%s, %s)", [(trace_id, body) for trace_id, body, _ in packed])
    texts = {key: text for _, _, found in packed for key, text in found.items()}
    renew()
    cur.executemany(
        "INSERT INTO chunk_texts VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        [(d, c, t) for (d, c), t in sorted(texts.items())],  # sorted: concurrent writers lock rows in one order
    )
    renew()
    cur.executemany(_LABEL_UPSERT, [_pg_label(label_row(r.trace_id, lb)) for r in records for lb in r.labels])


def upsert_label(conn: psycopg.Connection[tuple[Any, ...]], trace_id: str, label: TraceLabel) -> None:
    """Store (or replace) one label of `trace_id`, inside the caller's transaction."""
    conn.execute(_LABEL_UPSERT, _pg_label(label_row(trace_id, label)))


def _pg_label(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row[:7], utc(row[7]))


def fetcher(conn: psycopg.Connection[tuple[Any, ...]], renew: Callable[[], None]) -> Any:
    """What `attach` reads inputs, labels and chunk texts with; each query bounded on its own."""

    def fetch(what: str, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        renew()
        return conn.execute(FETCH[what], (list(keys),)).fetchall()

    return fetch


def stored_record(row: Sequence[Any], *, events: tuple[TraceEvent, ...]) -> TraceRecord:
    """The record of a row of SELECT, with `events`."""
    return record_from_row(row, created_at=row[1].astimezone(UTC), events=events)
