"""The PostgreSQL trace backend (GUARDED_RAG_TRACE_DB=postgresql://…): the same records as SQLite in a server
that several app processes on several machines share, so they show one Traces page.

psycopg 3 with a small connection pool (psycopg_pool): the trace writer and the pages reading traces each
borrow a connection that the pool checks first, so a server restart costs a reconnect, not an error. Opening
applies the pending migrations (app/traces/migrations/postgres/) under an advisory lock; a server that is down,
a wrong URL or bad credentials become one TraceStoreError sentence, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from app.traces.inputs import LABEL_COLUMNS, attach, label_from_row, label_row, pack
from app.traces.merge import ImportResult, merged_with_stored
from app.traces.migrations import VERSION_TABLE, pending
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, TraceStoreError, record_from_row, storable_text
from app.traces.sqlite import COLUMNS, LABELLED
from chains import TraceEvent

_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM traces"
_LABEL_UPSERT = (
    f"INSERT INTO labels ({', '.join(LABEL_COLUMNS)}) VALUES ({', '.join(['%s'] * len(LABEL_COLUMNS))}) "
    "ON CONFLICT (trace_id, target, attempt) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in LABEL_COLUMNS[3:])
)
_FETCH = {
    "inputs": "SELECT trace_id, inputs_json FROM trace_inputs WHERE trace_id = ANY(%s)",
    "labels": f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE trace_id = ANY(%s)",
    "texts": "SELECT digest, chunk_id, text FROM chunk_texts WHERE digest = ANY(%s)",
}
_MIGRATION_LOCK = 0x6775_6172_6465_64  # "guarded": pg_advisory_xact_lock key shared by every guarded-rag process
_IMPORT_LOCK = 0x6775_6172_6469_6D  # "guardim": imports run one at a time, as SQLite's (BEGIN IMMEDIATE) do
# A dead peer is noticed by TCP keepalives within ~25 s; a statement waiting on a lock gives up after 30 s.
_CONNECT: dict[str, str | int] = {
    "connect_timeout": 5,
    "application_name": "guarded-rag",
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "options": "-c statement_timeout=30000",
}


def redacted(url: str) -> str:
    """The URL without its password, for messages, doctor and logs."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', 'localhost')}{port}/{parts.get('dbname', '')}"


def connect_options(url: str) -> dict[str, str | int]:
    """Our connection defaults under what the URL says itself (its own connect_timeout wins; its `options`,
    e.g. a search_path, are kept and our statement timeout appended)."""
    given = conninfo_to_dict(url)
    options = {k: v for k, v in _CONNECT.items() if k not in given}
    if "options" in given:
        options["options"] = f"{given['options']} {_CONNECT['options']}"
    return options


class PostgresTraceBackend:
    def __init__(self, url: str, *, pool_size: int = 4, timeout: float = 10.0) -> None:
        self._location = redacted(url)
        try:
            conninfo = make_conninfo(url, **connect_options(url))
            with psycopg.connect(conninfo) as conn:
                self.schema_version = self._migrate(conn)
        except psycopg.Error as exc:
            raise TraceStoreError(f"cannot open the PostgreSQL trace store at {self._location}: {_first_line(exc)}") from exc
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            timeout=timeout,
            check=ConnectionPool.check_connection,  # a connection the server dropped (restart) is replaced
            name="guarded-rag-traces",
            num_workers=1,
            open=True,
        )

    @property
    def location(self) -> str:
        return self._location

    def _migrate(self, conn: psycopg.Connection[tuple[Any, ...]]) -> int:
        """Bring the database to the latest schema in one transaction; the advisory lock makes a second process
        starting at the same time wait here, then find nothing left to do."""
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()
            current = int(row[0]) if row else 0
            for migration in pending(current, "postgres", self.location):
                conn.execute(migration.sql)  # no parameters: several statements in one call
                conn.execute(
                    f"INSERT INTO {VERSION_TABLE} VALUES (%s, %s, %s)",
                    (migration.version, migration.name, datetime.now(UTC)),
                )
                current = migration.version
        return current

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise TraceStoreError(f"the PostgreSQL trace store at {self._location} is unreachable: {_first_line(exc)}") from exc

    @staticmethod
    def rejects(exc: BaseException) -> bool:
        """A failed save that refused the data itself (a constraint, a value out of range or badly encoded):
        retrying the same records fails the same way. A lost connection or a pool timeout is worth a retry."""
        return isinstance(exc, psycopg.IntegrityError | psycopg.DataError)

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        """Insert or replace `records` (and their events) in one transaction."""
        if not records:
            return
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            _write(cur, records)

    def import_many(self, records: Sequence[TraceRecord]) -> ImportResult:
        """Insert or replace `records` in one transaction, all or none, each stored copy's labels merged in
        (merged_with_stored). The stored traces' rows are locked first (FOR UPDATE, in id order), as save_label
        locks its trace's row: a label saved meanwhile is either committed before the labels are read here (and
        kept), or waits for the import and is written after it. Before, an import read the labels, then replaced
        the trace in a later transaction, and a label saved in between was deleted with the old copy."""
        ids = sorted({r.trace_id for r in records})
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            # A trace two imports both bring in new has no row to lock yet: the second read no labels, then replaced
            # the first's labels with its own once the first committed. One import at a time, as on SQLite.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_IMPORT_LOCK,))
            cur.execute("SELECT trace_id FROM traces WHERE trace_id = ANY(%s) ORDER BY trace_id FOR UPDATE", (ids,))
            stored: dict[str, list[TraceLabel]] = {row[0]: [] for row in cur.fetchall()}
            cur.execute(_FETCH["labels"], (list(stored),))
            for row in cur.fetchall():
                stored[row[0]].append(label_from_row(row))
            merged, result = merged_with_stored(records, stored)
            _write(cur, sorted(merged, key=lambda r: r.trace_id))  # in id order too: two imports never deadlock
        return result

    def save_label(self, trace_id: str, label: TraceLabel) -> bool:
        """Store (or replace) one label; False when there is no such trace."""
        trace_id = storable_text(trace_id)
        with self._connection() as conn, conn.transaction():
            if conn.execute("SELECT 1 FROM traces WHERE trace_id = %s FOR UPDATE", (trace_id,)).fetchone() is None:
                return False
            conn.execute(_LABEL_UPSERT, label_row(trace_id, label))
        return True

    def list(self, flt: TraceFilter | None = None, *, full: bool = False) -> list[TraceRecord]:
        """Records matching `flt`, newest first; without events, and with their inputs and labels when `full`."""
        flt = flt or TraceFilter()
        where: list[str] = []
        args: list[Any] = []
        for column in ("status", "model", "backend", "session"):
            value = getattr(flt, column)
            if value:
                where.append(f"{column} = %s")
                args.append(value)
        if flt.guardrail:
            where.append("strpos(fired, %s) > 0")
            args.append(f",{flt.guardrail},")
        if flt.since:
            where.append("created_at >= %s")
            args.append(flt.since)
        if flt.until:
            where.append("created_at <= %s")
            args.append(flt.until)
        if flt.text:
            where.append("strpos(lower(question), lower(%s)) > 0")
            args.append(flt.text)
        if flt.labelled is not None:
            where.append(LABELLED if flt.labelled else f"NOT {LABELLED}")
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at DESC, trace_id DESC LIMIT %s"
        with self._connection() as conn:
            rows = conn.execute(sql, [*args, flt.limit]).fetchall()
            records = [_record(row, events=()) for row in rows]
            return attach(records, _fetcher(conn)) if full else records

    def get(self, trace_id: str) -> TraceRecord | None:
        trace_id = storable_text(trace_id)  # as ids are stored: a NUL or lone surrogate cannot be sent
        with self._connection() as conn:
            row = conn.execute(_SELECT + " WHERE trace_id = %s", (trace_id,)).fetchone()
            if row is None and trace_id:
                # allow a unique prefix, as people copy short ids from tables, in any case: ids are lowercase, yet an
                # import before they were normalised may have stored one in capitals
                matches = conn.execute(_SELECT + " WHERE starts_with(lower(trace_id), lower(%s)) LIMIT 2", (trace_id,)).fetchall()
                row = matches[0] if len(matches) == 1 else None
            if row is None:
                return None
            events = conn.execute("SELECT event_json FROM events WHERE trace_id = %s ORDER BY seq", (row[0],)).fetchall()
            record = _record(row, events=tuple(TraceEvent.model_validate_json(e[0]) for e in events))
            return attach([record], _fetcher(conn))[0]

    def count(self) -> int:
        with self._connection() as conn:
            row = conn.execute("SELECT count(*) FROM traces").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._pool.close(timeout=5.0)


def _write(cur: psycopg.Cursor[tuple[Any, ...]], records: Sequence[TraceRecord]) -> None:
    """Insert or replace `records`, their events, inputs and labels, inside the caller's transaction."""
    if not records:
        return
    records = list({r.trace_id: r for r in records}.values())  # a trace saved twice in one batch: the last wins
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
    cur.executemany(
        f"INSERT INTO traces ({', '.join(COLUMNS)}) VALUES ({placeholders}) ON CONFLICT (trace_id) DO UPDATE SET {updates}",
        [
            (
                r.trace_id,
                r.created_at,
                r.question,
                r.status,
                r.backend,
                r.model,
                r.rung,
                r.llm_calls,
                r.latency_ms,
                "," + ",".join(r.fired) + ",",
                r.session,
                json.dumps(r.result, ensure_ascii=False, default=str),
                r.origin,
            )
            for r in records
        ],
    )
    cur.execute("DELETE FROM events WHERE trace_id = ANY(%s)", ([r.trace_id for r in records],))
    cur.executemany(
        "INSERT INTO events VALUES (%s, %s, %s)",
        [(r.trace_id, e.seq, e.model_dump_json()) for r in records for e in r.events],
    )
    # replay inputs (chunk texts into their shared table) and labels, replacing older ones
    ids = [r.trace_id for r in records]
    cur.execute("DELETE FROM trace_inputs WHERE trace_id = ANY(%s)", (ids,))
    cur.execute("DELETE FROM labels WHERE trace_id = ANY(%s)", (ids,))
    packed = [(r.trace_id, *pack(r.inputs)) for r in records if r.inputs is not None]
    cur.executemany("INSERT INTO trace_inputs VALUES (%s, %s)", [(trace_id, body) for trace_id, body, _ in packed])
    texts = {key: text for _, _, found in packed for key, text in found.items()}
    cur.executemany(
        "INSERT INTO chunk_texts VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        [(d, c, t) for (d, c), t in sorted(texts.items())],  # sorted: concurrent writers lock rows in one order
    )
    cur.executemany(_LABEL_UPSERT, [label_row(r.trace_id, lb) for r in records for lb in r.labels])


def _fetcher(conn: psycopg.Connection[tuple[Any, ...]]) -> Any:
    return lambda what, keys: conn.execute(_FETCH[what], (list(keys),)).fetchall()


def _record(row: Sequence[Any], *, events: tuple[TraceEvent, ...]) -> TraceRecord:
    return record_from_row(row, created_at=row[1].astimezone(UTC), events=events)


def _first_line(exc: BaseException) -> str:
    """psycopg's messages carry the server's words on the first line and a hint on the next."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2])[:300] if lines else type(exc).__name__
