"""The PostgreSQL trace backend (GUARDED_RAG_TRACE_DB=postgresql://…): the same records as SQLite in a server
that several app processes on several machines share, so they show one Traces page.

psycopg 3 with a small connection pool (psycopg_pool): the trace writer and the pages reading traces each
borrow a connection that the pool checks first, so a server restart costs a reconnect, not an error. Opening
applies the pending migrations (app/traces/migrations/postgres/) under an advisory lock; a server that is down,
a wrong URL or bad credentials become one TraceStoreError sentence, never a traceback.

Every use of a connection runs under a client-side deadline, so a server that stops answering fails the call
instead of blocking it. The parts: postgres_connection.py (connection options, the deadline's watchdog, error
wording), postgres_schema.py (migrations, case folding), postgres_queries.py (the SQL: rows written and read);
this module is the store that runs them on its pool.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from app.traces.inputs import attach, label_from_row
from app.traces.merge import ImportResult, merged_with_stored
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, TraceStoreError, storable_text
from app.traces.postgres_connection import CHECK_S, STATEMENT_S, Deadline, advice, connect_options, first_line, redacted
from app.traces.postgres_queries import FETCH, fetcher, listing, stored_record, upsert_label, write_traces
from app.traces.postgres_schema import case_folding, migrate
from app.traces.table import SELECT
from chains import TraceEvent

_IMPORT_LOCK = 0x6775_6172_6469_6D  # "guardim": imports run one at a time, as SQLite's (BEGIN IMMEDIATE) do


class PostgresTraceBackend:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        timeout: float = 10.0,
        read_timeout: float = 15.0,
        write_timeout: float = STATEMENT_S + 5.0,
    ) -> None:
        """`timeout`: how long to wait for a free pooled connection. `read_timeout`: the most one statement of a
        read may wait for its answer (reads wait on no lock). `write_timeout`: the same for a write's statements
        (more than the server's statement timeout, so a write waiting on a lock gets the server's own error)."""
        self._location = redacted(url)
        self._read_s = read_timeout
        self._write_s = write_timeout
        try:
            conninfo = make_conninfo(url, **connect_options(url))
            with psycopg.connect(conninfo) as conn, Deadline(conn, write_timeout, self._location) as deadline:
                self.schema_version = migrate(conn, deadline.renew, self._location)
                deadline.renew()
                self._fold = case_folding(conn)
        except psycopg.Error as exc:
            raise TraceStoreError(f"cannot open the PostgreSQL trace store at {self._location}: {first_line(exc)}") from exc
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            timeout=timeout,
            check=self._check,  # a connection the server dropped (restart) is replaced
            name="guarded-rag-traces",
            num_workers=1,
            open=True,
        )

    @property
    def location(self) -> str:
        return self._location

    def _check(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        """The pool's check of a connection it hands out, bounded: an empty query to a frozen server never returns."""
        with Deadline(conn, CHECK_S, self._location):
            ConnectionPool.check_connection(conn)

    @contextmanager
    def _connection(
        self, seconds: float, doing: str | None = None
    ) -> Iterator[tuple[psycopg.Connection[tuple[Any, ...]], Deadline]]:
        """A pooled connection and the deadline its statements run under (`seconds` each: renewed before each one).
        With `doing` (what the caller does, for the message), a driver error is a TraceStoreError: before, a
        statement timeout on a lock or a dropped connection reached the CLI and the pages as raw psycopg errors
        ("QueryCanceled: …"). save_many passes none: the writer retries or sets aside by the driver's error class."""
        try:
            with self._pool.connection() as conn, Deadline(conn, seconds, self._location) as deadline:
                yield conn, deadline
        except PoolTimeout as exc:
            raise TraceStoreError(f"the PostgreSQL trace store at {self._location} is unreachable: {first_line(exc)}") from exc
        except psycopg.Error as exc:
            if doing is None:
                raise
            raise TraceStoreError(
                f"{doing} in the PostgreSQL trace store at {self._location} failed: {first_line(exc)} ({advice(exc)})"
            ) from exc

    @staticmethod
    def rejects(exc: BaseException) -> bool:
        """A failed save that refused the data itself (a constraint, a value out of range or badly encoded):
        retrying the same records fails the same way. A lost connection or a pool timeout is worth a retry."""
        return isinstance(exc, psycopg.IntegrityError | psycopg.DataError)

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        """Insert or replace `records` (and their events) in one transaction."""
        if not records:
            return
        with self._connection(self._write_s) as (conn, deadline), conn.transaction(), conn.cursor() as cur:
            write_traces(cur, records, deadline.renew)

    def import_many(self, records: Sequence[TraceRecord]) -> ImportResult:
        """Insert or replace `records` in one transaction, all or none, each stored copy's labels merged in
        (merged_with_stored). The stored traces' rows are locked first (FOR UPDATE, in id order), as save_label
        locks its trace's row: a label saved meanwhile is either committed before the labels are read here (and
        kept), or waits for the import and is written after it. Before, an import read the labels, then replaced
        the trace in a later transaction, and a label saved in between was deleted with the old copy."""
        ids = sorted({r.trace_id for r in records})
        with (
            self._connection(self._write_s, "importing traces (nothing was imported)") as (conn, deadline),
            conn.transaction(),
            conn.cursor() as cur,
        ):
            # A trace two imports both bring in new has no row to lock yet: the second read no labels, then replaced
            # the first's labels with its own once the first committed. One import at a time, as on SQLite.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_IMPORT_LOCK,))
            deadline.renew()
            cur.execute("SELECT trace_id FROM traces WHERE trace_id = ANY(%s) ORDER BY trace_id FOR UPDATE", (ids,))
            stored: dict[str, list[TraceLabel]] = {row[0]: [] for row in cur.fetchall()}
            deadline.renew()
            cur.execute(FETCH["labels"], (list(stored),))
            for row in cur.fetchall():
                stored[row[0]].append(label_from_row(row))
            merged, result = merged_with_stored(records, stored)
            # in id order too: two imports never deadlock
            write_traces(cur, sorted(merged, key=lambda r: r.trace_id), deadline.renew)
        return result

    def save_label(self, trace_id: str, label: TraceLabel) -> bool:
        """Store (or replace) one label; False when there is no such trace."""
        trace_id = storable_text(trace_id)
        with self._connection(self._write_s, "saving a label") as (conn, deadline), conn.transaction():
            if conn.execute("SELECT 1 FROM traces WHERE trace_id = %s FOR UPDATE", (trace_id,)).fetchone() is None:
                return False
            deadline.renew()
            upsert_label(conn, trace_id, label)
        return True

    def list(self, flt: TraceFilter | None = None, *, full: bool = False) -> list[TraceRecord]:
        """Records matching `flt`, newest first; without events, and with their inputs and labels when `full`."""
        sql, args = listing(flt or TraceFilter(), self._fold)
        with self._connection(self._read_s, "listing traces") as (conn, deadline):
            rows = conn.execute(sql, args).fetchall()
            records = [stored_record(row, events=()) for row in rows]
            return attach(records, fetcher(conn, deadline.renew)) if full else records

    def get(self, trace_id: str) -> TraceRecord | None:
        trace_id = storable_text(trace_id)  # as ids are stored: a NUL or lone surrogate cannot be sent
        with self._connection(self._read_s, "reading a trace") as (conn, deadline):
            row = conn.execute(SELECT + " WHERE trace_id = %s", (trace_id,)).fetchone()
            if row is None and trace_id:
                # allow a unique prefix, as people copy short ids from tables, in any case: ids are lowercase, yet an
                # import before they were normalised may have stored one in capitals
                deadline.renew()
                matches = conn.execute(SELECT + " WHERE starts_with(lower(trace_id), lower(%s)) LIMIT 2", (trace_id,)).fetchall()
                row = matches[0] if len(matches) == 1 else None
            if row is None:
                return None
            deadline.renew()
            events = conn.execute("SELECT event_json FROM events WHERE trace_id = %s ORDER BY seq", (row[0],)).fetchall()
            record = stored_record(row, events=tuple(TraceEvent.model_validate_json(e[0]) for e in events))
            return attach([record], fetcher(conn, deadline.renew))[0]

    def get_many(self, ids: Sequence[str]) -> Sequence[TraceRecord]:
        """The traces `ids` name exactly (no prefixes), in that order, each as `get` returns it; missing ones left
        out. Three queries for all of them plus attach's: an export reads a page at a time."""
        ids = [storable_text(i) for i in ids]
        with self._connection(self._read_s, "reading traces") as (conn, deadline):
            rows = {row[0]: row for row in conn.execute(SELECT + " WHERE trace_id = ANY(%s)", (ids,)).fetchall()}
            events: dict[str, list[TraceEvent]] = {}
            query = "SELECT trace_id, event_json FROM events WHERE trace_id = ANY(%s) ORDER BY trace_id, seq"
            deadline.renew()
            for trace_id, body in conn.execute(query, (ids,)).fetchall():
                events.setdefault(trace_id, []).append(TraceEvent.model_validate_json(body))
            records = [stored_record(rows[i], events=tuple(events.get(i, ()))) for i in ids if i in rows]
            return attach(records, fetcher(conn, deadline.renew))

    def count(self) -> int:
        with self._connection(self._read_s, "counting traces") as (conn, _):
            row = conn.execute("SELECT count(*) FROM traces").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._pool.close(timeout=5.0)
