"""The SQLite trace backend (the default): every request's result and events in one WAL database under
GUARDED_RAG_HOME (or the file GUARDED_RAG_TRACE_DB names).

Each write runs inside one IMMEDIATE transaction, so concurrent writers (CLI, UI, eval, several processes)
serialize on SQLite's lock instead of losing events. Reads open their own short connection; the thread that
saves (the store's trace writer) keeps its connection between batches (sqlite_kept.py). Opening applies the
pending schema migrations (app/traces/migrations/sqlite/) under the same lock (sqlite_file.py). Queries return
records (sqlite_queries.py); the writes are here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from app.traces.inputs import LABEL_COLUMNS, label_row, pack
from app.traces.merge import ImportResult, merged_with_stored
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, TraceStoreError, storable_text
from app.traces.sqlite_file import FileId, connect, damage_hint, failure, file_id, migrate, rollback
from app.traces.sqlite_kept import KeptConnection
from app.traces.sqlite_queries import SQLITE, count, get_record, get_records, list_records, stored_labels, stored_time
from app.traces.table import COLUMNS, record_row

__all__ = ["SqliteTraceBackend"]

_LABEL_INSERT = f"INSERT OR REPLACE INTO labels ({', '.join(LABEL_COLUMNS)}) VALUES ({', '.join('?' * len(LABEL_COLUMNS))})"


class SqliteTraceBackend:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._kept = KeptConnection(self._open_new, lambda: file_id(self.path))
        self._file: FileId | None = None  # the file the schema was last applied to
        try:
            self.schema_version = self._prepare_file()
        except (OSError, sqlite3.Error) as exc:
            raise TraceStoreError(f"cannot open the trace database {path}: {exc}{damage_hint(path, exc)}") from exc

    @property
    def location(self) -> str:
        return str(self.path)

    @contextmanager
    def _connect(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A short connection, closed after. An error of SQLite's or the file system's, opening the file or using
        it, is a TraceStoreError naming what was being done (`doing`), the file and what to do: before, a damaged,
        locked or unreadable file reached the CLI and the pages raw ("DatabaseError: file is not a database").
        Saves do not come here: the writer decides retries by SQLite's error class (`rejects`)."""
        try:
            with closing(self._open()) as conn:
                yield conn
        except (sqlite3.Error, OSError) as exc:
            raise TraceStoreError(failure(doing, self.path, exc)) from exc

    def _prepare_file(self) -> int:
        """Create the file if needed and bring it to the latest schema; remember which file that was."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(connect(self.path)) as conn:
            version = migrate(conn, self.location)
        self._file = file_id(self.path)
        return version

    def _open(self) -> sqlite3.Connection:
        """A connection to the file at `path`. A file deleted or replaced while the app runs (a user resetting their
        traces, a restored backup) is prepared first: before, reads then failed with "no such table: traces" on
        the empty file sqlite3.connect made in its place."""
        if file_id(self.path) != self._file:
            self.schema_version = self._prepare_file()
        return connect(self.path)

    def _open_new(self) -> tuple[sqlite3.Connection, FileId | None]:
        """A connection for the saving thread to keep, and the file it was opened on."""
        conn = self._open()
        return conn, self._file

    @staticmethod
    def rejects(exc: BaseException) -> bool:
        """A failed save that refused the data itself (a constraint, a value SQLite cannot store): retrying the
        same records fails the same way. Anything else (locked, disk full, I/O) is worth a retry."""
        return isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError | sqlite3.InterfaceError)

    def release(self) -> None:
        """Close the connection kept between saves (the store calls this once its writer has stopped), unless
        another thread that is still running keeps it; a later save opens a new one."""
        self._kept.drop()

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        """Insert or replace `records` (and their events) in one transaction."""
        if not records:
            return
        with self._kept.saving() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._write(conn, records)
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise

    def import_many(self, records: Sequence[TraceRecord]) -> ImportResult:
        """Insert or replace `records` in one IMMEDIATE transaction, all or none, each stored copy's labels merged
        in (merged_with_stored). The stored labels are read under the write lock the import holds: a label saved
        by another process (save_label takes the same lock) is either committed before, and read and kept here,
        or waits and is written after. Before, an import read them, then replaced the trace in a later
        transaction, and a label saved in between was deleted with the old copy. On a connection of its own, not
        the trace writer's kept one."""
        with self._connect("importing traces (nothing was imported)") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                merged, result = merged_with_stored(records, stored_labels(conn, [r.trace_id for r in records]))
                self._write(conn, merged)
                conn.execute("COMMIT")
            except BaseException:  # Ctrl-C included: nothing of the import is kept
                rollback(conn)
                raise
        return result

    def _write(self, conn: sqlite3.Connection, records: Sequence[TraceRecord]) -> None:
        """Insert or replace `records`, their events, inputs and labels, inside the caller's transaction."""
        for record in records:
            conn.execute(
                f"INSERT OR REPLACE INTO traces ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                record_row(record, SQLITE.time),  # UTC: times are compared as text
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
        with self._connect("saving a label") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("SELECT 1 FROM traces WHERE trace_id = ?", (trace_id,)).fetchone() is None:
                    conn.execute("ROLLBACK")
                    return False
                conn.execute(_LABEL_INSERT, _sqlite_label(label_row(trace_id, label)))
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
        return True

    def list(self, flt: TraceFilter | None = None, *, full: bool = False) -> list[TraceRecord]:
        """Records matching `flt`, newest first; without events, and with their inputs and labels when `full`."""
        with self._connect("listing traces") as conn:
            return list_records(conn, flt or TraceFilter(), full=full)

    def get(self, trace_id: str) -> TraceRecord | None:
        trace_id = storable_text(trace_id)  # as ids are stored: a NUL or lone surrogate cannot be sent
        with self._connect("reading a trace") as conn:
            return get_record(conn, trace_id)

    def get_many(self, ids: Sequence[str]) -> Sequence[TraceRecord]:
        """The traces `ids` name exactly (no prefixes), in that order, each as `get` returns it; missing ones left out."""
        with self._connect("reading traces") as conn:
            return get_records(conn, [storable_text(i) for i in ids])

    def count(self) -> int:
        with self._connect("counting traces") as conn:
            return count(conn)


def _sqlite_label(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row[:3], int(row[3]), *row[4:7], stored_time(row[7]))
