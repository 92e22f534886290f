"""The SQLite trace file itself: which file a path names now, a connection to it (its pragmas, a case folding
for every script), WAL mode, its schema brought up to date by the pending migrations, and what to tell a user
whose file is damaged, locked or out of reach. Used by the SQLite backend (app/traces/sqlite.py)."""

from __future__ import annotations

import errno
import os
import shlex
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from app.traces.migrations import VERSION_TABLE, pending

FileId = tuple[int, int]

BUSY_S = 30.0  # how long a statement waits for another process's lock on the file before it fails

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
    advice = _damaged(path)
    return ". " + advice[0].upper() + advice[1:]


def _damaged(path: Path) -> str:
    return (
        f"the file is damaged or is not a trace database: move it aside (mv {shlex.quote(str(path))} "
        f"{shlex.quote(str(path) + '.damaged')}; "
        "sqlite3's .recover may get traces back from it) and the next run starts a new one, "
        "or point GUARDED_RAG_TRACE_DB at another file"
    )


# SQLite's primary result codes (an error's sqlite_errorcode & 0xFF) and what a user can do about each.
_IOERR, _FULL, _CANTOPEN = 10, 13, 14
_LOCKED = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_OUT_OF_REACH = {3, 8, _CANTOPEN, 23}  # SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_AUTH
_CORRUPT = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def failure(doing: str, path: Path, exc: sqlite3.Error | OSError) -> str:
    """One sentence for a use of the file that failed (a read, a label, an import): what was being done, the
    file, SQLite's (or the system's) words and what to do. Before, these reached the CLI and the pages raw
    ("DatabaseError: database disk image is malformed", "OperationalError: database is locked")."""
    words = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    return f"{doing} in the SQLite trace file {path} failed: {words}; {_advice(path, exc)}"


def _advice(path: Path, exc: sqlite3.Error | OSError) -> str:
    if isinstance(exc, OSError):
        code = _CANTOPEN if exc.errno in _DENIED else _FULL if exc.errno == errno.ENOSPC else _IOERR
    else:
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in _CORRUPT or any(text in str(exc) for text in _DAMAGED):
        return _damaged(path)
    if code in _LOCKED:
        return (
            f"another process held the file's lock for longer than {BUSY_S:g} s (a long import, or a stuck process?): "
            "try again in a moment"
        )
    if code in _OUT_OF_REACH:
        return (
            "check that the file and its folder exist and that the user running guarded-rag may read and write "
            "them (the -wal and -shm files beside it too)"
        )
    if code == _FULL:
        return "the disk is full: free some space, then try again"
    if code == _IOERR:
        return "the disk or file system reported an error: check it, then try again"
    return "try again; if it keeps failing, check the file with sqlite3's PRAGMA integrity_check"


def connect(path: Path) -> sqlite3.Connection:
    """A new connection to `path`, in autocommit mode (each write opens its own transaction)."""
    # check_same_thread=False: a kept connection is used by its one saving thread, and closed by release(),
    # which the store calls from another thread once that one has stopped.
    conn = sqlite3.connect(path, timeout=BUSY_S, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={int(BUSY_S * 1000)}")
    # WAL + NORMAL: a commit is durable against a process crash and never corrupts the file; only a
    # power loss can lose the last commits. FULL would fsync every commit on the request path.
    conn.execute("PRAGMA synchronous=NORMAL")
    # SQLite's own lower() folds only A-Z: a search for "école" missed "École" (PostgreSQL's finds it)
    conn.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
    return conn


def migrate(conn: sqlite3.Connection, location: str) -> int:
    """Bring the file to the latest schema; returns its version. A file made before versioning (no version table)
    has every 0001 table already: 0001 creates only what is missing, so it is adopted as version 1, rows kept.
    The version is read first without a lock: a file already current (every open but the first after an upgrade)
    is used as it is. Before, every open took the write lock, and while another process held it past the busy
    timeout `ask` failed before answering, `serve` did not start and even `traces` (a read) exited 1."""
    enable_wal(conn)
    current = stored_version(conn)
    if current is not None and not pending(current, "sqlite", location):
        return current
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


def stored_version(conn: sqlite3.Connection) -> int | None:
    """The file's schema version, read without taking the write lock (a WAL reader never waits on a writer);
    None when it has no version table yet (a new file, or one made before versioning)."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)).fetchone()
    if found is None:
        return None
    return int(conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0])


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
