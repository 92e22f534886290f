"""The SQLite trace file itself: which file a path names now, a connection to it (its pragmas, a case folding
for every script), WAL mode, its schema brought up to date by the pending migrations, and what to tell a user
whose file is damaged. Used by the SQLite backend (app/traces/sqlite.py)."""

from __future__ import annotations

import os
import shlex
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from app.traces.migrations import VERSION_TABLE, pending

FileId = tuple[int, int]

# What SQLite says about a file that is not (or no longer) a readable database; a busy or locked file is not one.
_DAMAGED = ("file is not a database", "database disk image is malformed")


def file_id(path: Path) -> FileId | None:
    """Which file `path` names now (device, inode); None when there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def damage_hint(path: Path, exc: BaseException) -> str:
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


def connect(path: Path) -> sqlite3.Connection:
    """A new connection to `path`, in autocommit mode (each write opens its own transaction)."""
    # check_same_thread=False: a kept connection is used by its one saving thread, and closed by release(),
    # which the store calls from another thread once that one has stopped.
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    # WAL + NORMAL: a commit is durable against a process crash and never corrupts the file; only a
    # power loss can lose the last commits. FULL would fsync every commit on the request path.
    conn.execute("PRAGMA synchronous=NORMAL")
    # SQLite's own lower() folds only A-Z: a search for "école" missed "École" (PostgreSQL's finds it)
    conn.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
    return conn


def migrate(conn: sqlite3.Connection, location: str) -> int:
    """Bring the file to the latest schema; returns its version. A file made before versioning (no version table)
    has every 0001 table already: 0001 creates only what is missing, so it is adopted as version 1, rows kept."""
    enable_wal(conn)
    conn.execute("BEGIN IMMEDIATE")  # the write lock: a second process opening now waits, then sees our work
    try:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = int(conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0])
        for migration in pending(current, "sqlite", location):
            for statement in _statements(migration.sql):
                conn.execute(statement)  # DDL is transactional in SQLite: all of it commits, or none
            conn.execute(
                f"INSERT INTO {VERSION_TABLE} VALUES (?,?,?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
            current = migration.version
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return current


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if there still is one: after some errors (a full disk, an I/O error)
    SQLite has rolled it back itself, and a ROLLBACK then failed with "cannot rollback - no transaction is
    active", which replaced the error that said what went wrong (seen: "database or disk is full")."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def enable_wal(conn: sqlite3.Connection, *, wait_s: float = 30.0) -> None:
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


def _unicode_lower(value: str | None) -> str | None:
    """lower() for every script, as PostgreSQL's: case-insensitive search beyond ASCII."""
    return value.lower() if isinstance(value, str) else value


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
