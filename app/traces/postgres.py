"""The PostgreSQL trace backend (GUARDED_RAG_TRACE_DB=postgresql://…): the same records as SQLite in a server
that several app processes on several machines share, so they show one Traces page.

psycopg 3 with a small connection pool (psycopg_pool): the trace writer and the pages reading traces each
borrow a connection that the pool checks first, so a server restart costs a reconnect, not an error. Opening
applies the pending migrations (app/traces/migrations/postgres/) under an advisory lock; a server that is down,
a wrong URL or bad credentials become one TraceStoreError sentence, never a traceback.

Every use of a connection runs under a client-side deadline (`_Deadline`): a server that stops answering without
closing the connection (a frozen host or process, SIGSTOP) still acknowledges TCP and keepalives, and its
statement timeout runs on the server, so before a read blocked until the server came back (75 s+ seen). Past
the deadline the connection's socket is shut down from a watchdog thread, the blocked call fails at once and the
caller gets a TraceStoreError; the pool drops the broken connection.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from app.traces.inputs import LABEL_COLUMNS, attach, label_from_row, label_row, pack
from app.traces.merge import ImportResult, merged_with_stored
from app.traces.migrations import VERSION_TABLE, pending
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, TraceStoreError, record_from_row, storable_text
from app.traces.sqlite import COLUMNS, LABELLED
from app.traces.sqlite_queries import utc
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
_STATEMENT_S = 30.0  # the statement_timeout above
_CHECK_S = 5.0  # the pool's check of an idle connection (an empty query): as long as a connect may take


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
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        timeout: float = 10.0,
        read_timeout: float = 15.0,
        write_timeout: float = _STATEMENT_S + 5.0,
    ) -> None:
        """`timeout`: how long to wait for a free pooled connection. `read_timeout`: the most one statement of a
        read may wait for its answer (reads wait on no lock). `write_timeout`: the same for a write's statements
        (more than the server's statement timeout, so a write waiting on a lock gets the server's own error)."""
        self._location = redacted(url)
        self._read_s = read_timeout
        self._write_s = write_timeout
        try:
            conninfo = make_conninfo(url, **connect_options(url))
            with psycopg.connect(conninfo) as conn, _Deadline(conn, write_timeout, self._location) as deadline:
                self.schema_version = self._migrate(conn, deadline.renew)
                deadline.renew()
                self._fold = _case_folding(conn)
        except psycopg.Error as exc:
            raise TraceStoreError(f"cannot open the PostgreSQL trace store at {self._location}: {_first_line(exc)}") from exc
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

    def _migrate(self, conn: psycopg.Connection[tuple[Any, ...]], renew: Callable[[], None]) -> int:
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
                renew()  # each migration bounded on its own
                conn.execute(migration.sql)  # no parameters: several statements in one call
                conn.execute(
                    f"INSERT INTO {VERSION_TABLE} VALUES (%s, %s, %s)",
                    (migration.version, migration.name, datetime.now(UTC)),
                )
                current = migration.version
        return current

    def _check(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        """The pool's check of a connection it hands out, bounded: an empty query to a frozen server never returns."""
        with _Deadline(conn, _CHECK_S, self._location):
            ConnectionPool.check_connection(conn)

    @contextmanager
    def _connection(
        self, seconds: float, doing: str | None = None
    ) -> Iterator[tuple[psycopg.Connection[tuple[Any, ...]], _Deadline]]:
        """A pooled connection and the deadline its statements run under (`seconds` each: renewed before each one).
        With `doing` (what the caller does, for the message), a driver error is a TraceStoreError: before, a
        statement timeout on a lock or a dropped connection reached the CLI and the pages as raw psycopg errors
        ("QueryCanceled: …"). save_many passes none: the writer retries or sets aside by the driver's error class."""
        try:
            with self._pool.connection() as conn, _Deadline(conn, seconds, self._location) as deadline:
                yield conn, deadline
        except PoolTimeout as exc:
            raise TraceStoreError(f"the PostgreSQL trace store at {self._location} is unreachable: {_first_line(exc)}") from exc
        except psycopg.Error as exc:
            if doing is None:
                raise
            raise TraceStoreError(
                f"{doing} in the PostgreSQL trace store at {self._location} failed: {_first_line(exc)} ({_advice(exc)})"
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
            _write(cur, records, deadline.renew)

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
            cur.execute(_FETCH["labels"], (list(stored),))
            for row in cur.fetchall():
                stored[row[0]].append(label_from_row(row))
            merged, result = merged_with_stored(records, stored)
            _write(cur, sorted(merged, key=lambda r: r.trace_id), deadline.renew)  # in id order too: two imports never deadlock
        return result

    def save_label(self, trace_id: str, label: TraceLabel) -> bool:
        """Store (or replace) one label; False when there is no such trace."""
        trace_id = storable_text(trace_id)
        with self._connection(self._write_s, "saving a label") as (conn, deadline), conn.transaction():
            if conn.execute("SELECT 1 FROM traces WHERE trace_id = %s FOR UPDATE", (trace_id,)).fetchone() is None:
                return False
            deadline.renew()
            conn.execute(_LABEL_UPSERT, _pg_label(label_row(trace_id, label)))
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
            args.append(utc(flt.since))
        if flt.until:
            where.append("created_at <= %s")
            args.append(utc(flt.until))
        if flt.text:
            where.append(f"strpos(lower(question{self._fold}), lower(%s::text{self._fold})) > 0")
            args.append(flt.text)
        if flt.labelled is not None:
            where.append(LABELLED if flt.labelled else f"NOT {LABELLED}")
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at DESC, trace_id DESC LIMIT %s"
        with self._connection(self._read_s, "listing traces") as (conn, deadline):
            rows = conn.execute(sql, [*args, flt.limit]).fetchall()
            records = [_record(row, events=()) for row in rows]
            return attach(records, _fetcher(conn, deadline.renew)) if full else records

    def get(self, trace_id: str) -> TraceRecord | None:
        trace_id = storable_text(trace_id)  # as ids are stored: a NUL or lone surrogate cannot be sent
        with self._connection(self._read_s, "reading a trace") as (conn, deadline):
            row = conn.execute(_SELECT + " WHERE trace_id = %s", (trace_id,)).fetchone()
            if row is None and trace_id:
                # allow a unique prefix, as people copy short ids from tables, in any case: ids are lowercase, yet an
                # import before they were normalised may have stored one in capitals
                deadline.renew()
                matches = conn.execute(_SELECT + " WHERE starts_with(lower(trace_id), lower(%s)) LIMIT 2", (trace_id,)).fetchall()
                row = matches[0] if len(matches) == 1 else None
            if row is None:
                return None
            deadline.renew()
            events = conn.execute("SELECT event_json FROM events WHERE trace_id = %s ORDER BY seq", (row[0],)).fetchall()
            record = _record(row, events=tuple(TraceEvent.model_validate_json(e[0]) for e in events))
            return attach([record], _fetcher(conn, deadline.renew))[0]

    def get_many(self, ids: Sequence[str]) -> Sequence[TraceRecord]:
        """The traces `ids` name exactly (no prefixes), in that order, each as `get` returns it; missing ones left
        out. Three queries for all of them plus attach's: an export reads a page at a time."""
        ids = [storable_text(i) for i in ids]
        with self._connection(self._read_s, "reading traces") as (conn, deadline):
            rows = {row[0]: row for row in conn.execute(_SELECT + " WHERE trace_id = ANY(%s)", (ids,)).fetchall()}
            events: dict[str, list[TraceEvent]] = {}
            query = "SELECT trace_id, event_json FROM events WHERE trace_id = ANY(%s) ORDER BY trace_id, seq"
            deadline.renew()
            for trace_id, body in conn.execute(query, (ids,)).fetchall():
                events.setdefault(trace_id, []).append(TraceEvent.model_validate_json(body))
            records = [_record(rows[i], events=tuple(events.get(i, ()))) for i in ids if i in rows]
            return attach(records, _fetcher(conn, deadline.renew))

    def count(self) -> int:
        with self._connection(self._read_s, "counting traces") as (conn, _):
            row = conn.execute("SELECT count(*) FROM traces").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._pool.close(timeout=5.0)


def _write(cur: psycopg.Cursor[tuple[Any, ...]], records: Sequence[TraceRecord], renew: Callable[[], None]) -> None:
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
        [
            (
                r.trace_id,
                utc(r.created_at),  # a time without an offset is UTC, not the server session's time zone
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


class _Deadline:
    """While open, a watchdog thread shuts the connection's socket down once `seconds` pass without `renew()` (called
    before each statement) while a statement is in flight (time the caller spends on results does not count): the
    call blocked on it then fails at once (libpq sees the connection closed) and leaves it broken, so the pool
    drops it. Closing the socket's descriptor would not wake a thread polling it, and a cancel request goes to the
    server's postmaster, which may be frozen too. On leaving, an error the watchdog caused is a TraceStoreError, and
    a transaction left open (a read) is rolled back while still bounded: the pool's own rollback is not."""

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]], seconds: float, location: str) -> None:
        self._conn = conn
        self._seconds = seconds
        self._location = location
        self._lock = threading.Lock()
        self._due = time.monotonic() + seconds
        self._done = False
        self._fired = False
        self._wake = threading.Event()

    def __enter__(self) -> _Deadline:
        threading.Thread(target=self._watch, name="guarded-rag-pg-deadline", daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        try:
            if not self._fired and self._conn.info.transaction_status in (
                pq.TransactionStatus.INTRANS,
                pq.TransactionStatus.INERROR,
            ):
                self._conn.rollback()
        except psycopg.Error:
            pass  # the connection is broken: the pool drops it; the first error is the one that matters
        finally:
            with self._lock:
                self._done = True
                fired = self._fired
            self._wake.set()
        if fired and isinstance(exc, psycopg.Error):  # (a call that returned just before has a valid result)
            raise TraceStoreError(
                f"the PostgreSQL trace store at {self._location} did not answer within {self._seconds:g} s "
                "(the server or its host is stuck or overloaded); the connection was closed, try again later"
            ) from exc

    def renew(self) -> None:
        with self._lock:
            self._due = time.monotonic() + self._seconds

    def _watch(self) -> None:
        while True:
            with self._lock:
                if self._done:
                    return
                left = self._due - time.monotonic()
                if left <= 0 and not _waiting(self._conn):
                    # no statement in flight (the caller is working on results): only a statement is bounded
                    self._due = time.monotonic() + self._seconds
                    left = self._seconds
                elif left <= 0:
                    self._fired = True
                    _shut_down(self._conn)
                    return
            self._wake.wait(left)


def _waiting(conn: psycopg.Connection[tuple[Any, ...]]) -> bool:
    """True while a statement is in flight on `conn` (sent, its results not all read)."""
    return conn.pgconn.transaction_status == pq.TransactionStatus.ACTIVE


def _shut_down(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    """Shut the connection's socket down for both directions (on a duplicate of its descriptor: the connection
    keeps, and later closes, its own)."""
    try:
        sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
    except (OSError, psycopg.Error):
        return  # already closed
    with sock, suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# Collations whose lower() folds every script, tried in this order when the database's own does not.
_FOLDING = ("und-x-icu", "C.utf8", "C.UTF-8", "en_US.utf8", "en_US.UTF-8")
_FOLD_PROBE = "SELECT lower('ÉΣÜ'{collate}) = 'éσü'"


def _case_folding(conn: psycopg.Connection[tuple[Any, ...]]) -> str:
    """The COLLATE clause the question search lowers text under: none when the database's own lower() folds beyond
    ASCII; else the first collation of _FOLDING that does. A database created with LC_CTYPE=C folds only A-Z,
    so a search for "école" missed "École" there (SQLite's search and other databases find it)."""
    row = conn.execute(_FOLD_PROBE.format(collate="")).fetchone()
    if row and row[0]:
        return ""
    found = {r[0] for r in conn.execute("SELECT collname FROM pg_collation WHERE collname = ANY(%s)", (list(_FOLDING),))}
    for name in (n for n in _FOLDING if n in found):
        collate = f' COLLATE "{name}"'
        row = conn.execute(_FOLD_PROBE.format(collate=collate)).fetchone()
        if row and row[0]:
            return collate
    return ""  # no such collation here: the search ignores case in A-Z only


def _pg_label(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row[:7], utc(row[7]))


def _fetcher(conn: psycopg.Connection[tuple[Any, ...]], renew: Callable[[], None]) -> Any:
    """What `attach` reads inputs, labels and chunk texts with; each query bounded on its own."""

    def fetch(what: str, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        renew()
        return conn.execute(_FETCH[what], (list(keys),)).fetchall()

    return fetch


def _record(row: Sequence[Any], *, events: tuple[TraceEvent, ...]) -> TraceRecord:
    return record_from_row(row, created_at=row[1].astimezone(UTC), events=events)


def _advice(exc: psycopg.Error) -> str:
    """What to do about a driver error, for the message after it."""
    if isinstance(exc, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected):
        return "the statement was stopped, usually after waiting too long for a lock another process holds (a running import?): try again in a moment"
    if isinstance(exc, psycopg.OperationalError):
        return "the connection to the server failed: check that the server is running and reachable, then try again"
    return "see the PostgreSQL server's log; try again"


def _first_line(exc: BaseException) -> str:
    """psycopg's messages carry the server's words on the first line and a hint on the next."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2])[:300] if lines else type(exc).__name__
