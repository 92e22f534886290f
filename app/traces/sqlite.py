"""The SQLite trace backend (the default): every request's result and events in one WAL database under
GUARDED_RAG_HOME (or the file GUARDED_RAG_TRACE_DB names).

Each write runs inside one IMMEDIATE transaction, so concurrent writers (CLI, UI, eval, several processes)
serialize on SQLite's lock instead of losing events. Reads open their own short connection; the thread that
saves (the store's trace writer) keeps its connection between batches (see _saving). Opening applies the
pending schema migrations (app/traces/migrations/sqlite/) under the same lock. Queries return records.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.traces.inputs import LABEL_COLUMNS, attach, label_from_row, label_row, pack
from app.traces.merge import ImportResult, merged_with_stored
from app.traces.migrations import VERSION_TABLE, pending
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, TraceStoreError, record_from_row, storable_text
from chains import TraceEvent

COLUMNS = (
    "trace_id",
    "created_at",
    "question",
    "status",
    "backend",
    "model",
    "rung",
    "llm_calls",
    "latency_ms",
    "fired",
    "session",
    "result_json",
    "origin",
)
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM traces"
LABELLED = "EXISTS (SELECT 1 FROM labels l WHERE l.trace_id = traces.trace_id)"  # shared with postgres.py
_LABEL_INSERT = f"INSERT OR REPLACE INTO labels ({', '.join(LABEL_COLUMNS)}) VALUES ({', '.join('?' * len(LABEL_COLUMNS))})"


# What SQLite says about a file that is not (or no longer) a readable database; a busy or locked file is not one.
_DAMAGED = ("file is not a database", "database disk image is malformed")


def _damage_hint(path: Path, exc: BaseException) -> str:
    """How to go on when the file itself is unreadable: its traces cannot be read back here, so the fix is to
    keep it aside (for recovery with sqlite3's .recover) and let the next run create a fresh one. Said, not
    done: moving a user's file is theirs to decide."""
    if not any(text in str(exc) for text in _DAMAGED):
        return ""
    return (
        f". The file is damaged or is not a trace database: move it aside (mv {shlex.quote(str(path))} "
        f"{shlex.quote(str(path) + '.damaged')}; "
        "sqlite3's .recover may get traces back from it) and the next run starts a new one, "
        "or point GUARDED_RAG_TRACE_DB at another file"
    )


class SqliteTraceBackend:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # (thread, connection, the file it was opened on) of the saving thread
        self._kept: tuple[threading.Thread, sqlite3.Connection, FileId | None] | None = None
        self._file: FileId | None = None  # the file the schema was last applied to
        try:
            self.schema_version = self._prepare_file()
        except (OSError, sqlite3.Error) as exc:
            raise TraceStoreError(f"cannot open the trace database {path}: {exc}{_damage_hint(path, exc)}") from exc

    @property
    def location(self) -> str:
        return str(self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(self._open()) as conn:
            yield conn

    def _prepare_file(self) -> int:
        """Create the file if needed and bring it to the latest schema; remember which file that was."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        version = self._migrate()
        self._file = _file_id(self.path)
        return version

    def _open(self) -> sqlite3.Connection:
        """A connection to the file at `path`. A file deleted or replaced while the app runs (a user resetting their
        traces, a restored backup) is prepared first: before, reads then failed with "no such table: traces" on
        the empty file sqlite3.connect made in its place."""
        if _file_id(self.path) != self._file:
            self.schema_version = self._prepare_file()
        return self._connection()

    def _connection(self) -> sqlite3.Connection:
        # check_same_thread=False: a kept connection is used by its one saving thread, and closed by release(),
        # which the store calls from another thread once that one has stopped.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        # WAL + NORMAL: a commit is durable against a process crash and never corrupts the file; only a
        # power loss can lose the last commits. FULL would fsync every commit on the request path.
        conn.execute("PRAGMA synchronous=NORMAL")
        # SQLite's own lower() folds only A-Z: a search for "école" missed "École" (PostgreSQL's finds it)
        conn.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
        return conn

    @contextmanager
    def _saving(self) -> Iterator[sqlite3.Connection]:
        """The connection a save goes through. The first thread that saves (the store's trace writer) keeps it
        open: opening one per batch and closing it (the close checkpoints the WAL) was ~0.9 of the writer's
        ~1.5 ms of CPU per trace (measured), on two cores shared with the requests. Other threads get a
        short connection as before; a save that fails drops the kept one, so the next opens afresh."""
        me = threading.current_thread()
        with self._lock:
            kept = self._kept
        if kept is not None and kept[0] is not me:
            with self._connect() as conn:
                yield conn
            return
        if kept is not None and kept[2] != _file_id(self.path):
            # The file was deleted or replaced since this connection opened it: its saves went to a file no one
            # will read again (counted as written, lost). Closed (it is ours) and the file at `path` opened afresh.
            self._drop(me)
            kept = None
        if kept is not None:
            conn, opened_on = kept[1], kept[2]
        else:
            conn = self._open()
            opened_on = self._file
        with self._lock:
            self._kept = (me, conn, opened_on)
        try:
            yield conn
        except BaseException:
            self._drop(me)
            raise

    def _drop(self, thread: threading.Thread | None = None) -> None:
        with self._lock:
            kept = self._kept
            if kept is None or (thread is not None and kept[0] is not thread):
                return
            if thread is None and kept[0] is not threading.current_thread() and kept[0].is_alive():
                # its thread may be inside a call on it (a save waiting for the write lock): closing a connection
                # another thread is using crashed the process (segfault); that thread releases it itself
                return
            self._kept = None
        kept[1].close()

    @staticmethod
    def rejects(exc: BaseException) -> bool:
        """A failed save that refused the data itself (a constraint, a value SQLite cannot store): retrying the
        same records fails the same way. Anything else (locked, disk full, I/O) is worth a retry."""
        return isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError | sqlite3.InterfaceError)

    def release(self) -> None:
        """Close the connection kept between saves (the store calls this once its writer has stopped), unless
        another thread that is still running keeps it; a later save opens a new one."""
        self._drop()

    def _migrate(self) -> int:
        """Bring the file to the latest schema. A file made before versioning (no version table) has every
        0001 table already: 0001 creates only what is missing, so it is adopted as version 1, rows kept."""
        with closing(self._connection()) as conn:
            _enable_wal(conn)
            conn.execute("BEGIN IMMEDIATE")  # the write lock: a second process opening now waits, then sees our work
            try:
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
                    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                current = int(conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0])
                for migration in pending(current, "sqlite", self.location):
                    for statement in _statements(migration.sql):
                        conn.execute(statement)  # DDL is transactional in SQLite: all of it commits, or none
                    conn.execute(
                        f"INSERT INTO {VERSION_TABLE} VALUES (?,?,?)",
                        (migration.version, migration.name, datetime.now(UTC).isoformat()),
                    )
                    current = migration.version
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return current

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        """Insert or replace `records` (and their events) in one transaction."""
        if not records:
            return
        with self._saving() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._write(conn, records)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def import_many(self, records: Sequence[TraceRecord]) -> ImportResult:
        """Insert or replace `records` in one IMMEDIATE transaction, all or none, each stored copy's labels merged
        in (merged_with_stored). The stored labels are read under the write lock the import holds: a label saved
        by another process (save_label takes the same lock) is either committed before, and read and kept here,
        or waits and is written after. Before, an import read them, then replaced the trace in a later
        transaction, and a label saved in between was deleted with the old copy. On a connection of its own, not
        the trace writer's kept one."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                merged, result = merged_with_stored(records, self._stored_labels(conn, [r.trace_id for r in records]))
                self._write(conn, merged)
                conn.execute("COMMIT")
            except BaseException:  # Ctrl-C included: nothing of the import is kept
                conn.execute("ROLLBACK")
                raise
        return result

    @staticmethod
    def _stored_labels(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, list[TraceLabel]]:
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

    def _write(self, conn: sqlite3.Connection, records: Sequence[TraceRecord]) -> None:
        """Insert or replace `records`, their events, inputs and labels, inside the caller's transaction."""
        for record in records:
            conn.execute(
                f"INSERT OR REPLACE INTO traces ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                (
                    record.trace_id,
                    record.created_at.isoformat(),
                    record.question,
                    record.status,
                    record.backend,
                    record.model,
                    record.rung,
                    record.llm_calls,
                    record.latency_ms,
                    "," + ",".join(record.fired) + ",",
                    record.session,
                    json.dumps(record.result, ensure_ascii=False, default=str),
                    record.origin,
                ),
            )
            conn.execute("DELETE FROM events WHERE trace_id = ?", (record.trace_id,))
            conn.executemany(
                "INSERT INTO events VALUES (?,?,?)",
                [(record.trace_id, e.seq, e.model_dump_json()) for e in record.events],
            )
            self._save_extras(conn, record)

    @staticmethod
    def _save_extras(conn: sqlite3.Connection, record: TraceRecord) -> None:
        """The record's replay inputs (chunk texts into their shared table) and labels, replacing older ones."""
        conn.execute("DELETE FROM trace_inputs WHERE trace_id = ?", (record.trace_id,))
        conn.execute("DELETE FROM labels WHERE trace_id = ?", (record.trace_id,))
        if record.inputs is not None:
            body, texts = pack(record.inputs)
            conn.execute("INSERT INTO trace_inputs VALUES (?,?)", (record.trace_id, body))
            conn.executemany("INSERT OR IGNORE INTO chunk_texts VALUES (?,?,?)", [(d, c, t) for (d, c), t in texts.items()])
        conn.executemany(_LABEL_INSERT, [_sqlite_label(label_row(record.trace_id, lb)) for lb in record.labels])

    def save_label(self, trace_id: str, label: TraceLabel) -> bool:
        """Store (or replace) one label; False when there is no such trace."""
        trace_id = storable_text(trace_id)
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("SELECT 1 FROM traces WHERE trace_id = ?", (trace_id,)).fetchone() is None:
                    conn.execute("ROLLBACK")
                    return False
                conn.execute(_LABEL_INSERT, _sqlite_label(label_row(trace_id, label)))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return True

    def _fetch(self, conn: sqlite3.Connection) -> Any:
        queries = {
            "inputs": "SELECT trace_id, inputs_json FROM trace_inputs WHERE trace_id IN ({})",
            "labels": f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE trace_id IN ({{}})",
            "texts": "SELECT digest, chunk_id, text FROM chunk_texts WHERE digest IN ({})",
        }
        return lambda what, keys: conn.execute(queries[what].format(",".join("?" * len(keys))), list(keys)).fetchall()

    def list(self, flt: TraceFilter | None = None, *, full: bool = False) -> list[TraceRecord]:
        """Records matching `flt`, newest first; without events, and with their inputs and labels when `full`."""
        flt = flt or TraceFilter()
        where, args = [], []
        for column in ("status", "model", "backend", "session"):
            value = getattr(flt, column)
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if flt.guardrail:
            where.append("instr(fired, ?) > 0")  # exact name: LIKE would read '_' in a name as a wildcard
            args.append(f",{flt.guardrail},")
        if flt.since:
            where.append("created_at >= ?")
            args.append(flt.since.isoformat())
        if flt.until:
            where.append("created_at <= ?")
            args.append(flt.until.isoformat())
        if flt.text:
            where.append("instr(unicode_lower(question), unicode_lower(?)) > 0")
            args.append(flt.text)
        if flt.labelled is not None:
            where.append(LABELLED if flt.labelled else f"NOT {LABELLED}")
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at DESC, trace_id DESC LIMIT ?"
        with self._connect() as conn:
            rows = conn.execute(sql, [*args, flt.limit]).fetchall()
            records = [self._record(row, events=()) for row in rows]
            return attach(records, self._fetch(conn)) if full else records

    def get(self, trace_id: str) -> TraceRecord | None:
        trace_id = storable_text(trace_id)  # as ids are stored: a NUL or lone surrogate cannot be sent
        with self._connect() as conn:
            row = conn.execute(_SELECT + " WHERE trace_id = ?", (trace_id,)).fetchone()
            if row is None and trace_id:
                # allow a unique prefix, as people copy short ids from tables, in any case: ids are lowercase, yet an
                # import before they were normalised may have stored one in capitals
                matches = conn.execute(
                    _SELECT + " WHERE lower(substr(trace_id, 1, length(?))) = lower(?) LIMIT 2", (trace_id, trace_id)
                ).fetchall()
                row = matches[0] if len(matches) == 1 else None
            if row is None:
                return None
            events = conn.execute("SELECT event_json FROM events WHERE trace_id = ? ORDER BY seq", (row[0],)).fetchall()
            record = self._record(row, events=tuple(TraceEvent.model_validate_json(e[0]) for e in events))
            return attach([record], self._fetch(conn))[0]

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT count(*) FROM traces").fetchone()[0])

    @staticmethod
    def _record(row: Sequence[Any], *, events: tuple[TraceEvent, ...]) -> TraceRecord:
        return record_from_row(row, created_at=datetime.fromisoformat(row[1]), events=events)


FileId = tuple[int, int]


def _file_id(path: Path) -> FileId | None:
    """Which file `path` names now (device, inode); None when there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _unicode_lower(value: str | None) -> str | None:
    """lower() for every script, as PostgreSQL's: case-insensitive search beyond ASCII."""
    return value.lower() if isinstance(value, str) else value


def _sqlite_label(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row[:3], int(row[3]), *row[4:7], row[7].isoformat())


def _enable_wal(conn: sqlite3.Connection, *, wait_s: float = 30.0) -> None:
    """WAL is a property of the file, set once (not inside a transaction). Switching needs the file to
    itself and SQLite answers "database is locked" at once instead of waiting on the busy timeout, so
    several processes opening a new file together retry (seen with four at once)."""
    deadline = time.monotonic() + wait_s
    while conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one at a time: executescript() would COMMIT first and so run
    the migration outside our transaction."""
    pending_text = ""
    for line in script.splitlines(keepends=True):
        pending_text += line
        if sqlite3.complete_statement(pending_text):
            yield pending_text.strip()
            pending_text = ""
    rest = [line for line in pending_text.splitlines() if line.strip() and not line.strip().startswith("--")]
    if rest:
        raise ValueError(f"incomplete SQL statement in a migration: {pending_text[:200]!r}")
