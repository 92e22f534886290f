"""Knowing, instead of hoping after a sleep, that another writer is under way: a thread has asked SQLite for the
write lock (seen in the statements its connections send), or a session of the app waits on a PostgreSQL lock
(pg_stat_activity). A sleep only hoped so, and on a slow machine the tests built on it passed without proving
anything."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

# A statement that needs SQLite's write lock: sent by a connection while another one holds the lock, it waits.
_WRITES = re.compile(r"\s*(BEGIN\s+(IMMEDIATE|EXCLUSIVE)|INSERT|REPLACE|UPDATE|DELETE)\b", re.IGNORECASE)

# Sessions of the app (application_name, app/traces/postgres_connection.py) in this database waiting on a lock
_WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'guarded-rag' AND wait_event_type = 'Lock' "
    "AND datname = current_database()"
)


class WriteLockAsks:
    """One event per thread name, set once a connection that thread opened starts a statement that needs SQLite's
    write lock. SQLite reports a statement (sqlite3_trace_v2) as it starts, before it waits for the lock: while
    another connection holds the lock, the thread is from then on waiting for it, and whatever it read before
    was read before that holder committed."""

    def __init__(self, *names: str) -> None:
        self._asked = {name: threading.Event() for name in names}

    def __getitem__(self, name: str) -> threading.Event:
        return self._asked[name]

    def wrap(self, connect: Callable[[Path], sqlite3.Connection]) -> Callable[[Path], sqlite3.Connection]:
        """`connect` (app.traces.sqlite's), with the statements of the watched threads' connections watched."""

        def watched(path: Path) -> sqlite3.Connection:
            conn = connect(path)
            asked = self._asked.get(threading.current_thread().name)
            if asked is not None:
                conn.set_trace_callback(lambda sql: asked.set() if _WRITES.match(sql) else None)
            return conn

        return watched


def sqlite_write_lock_held(path: Path) -> bool:
    """Whether a connection holds the write lock on the SQLite file at `path` now: a BEGIN IMMEDIATE that does
    not wait (rolled back at once when it gets the lock)."""
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as probe:
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
        probe.execute("ROLLBACK")
        return False


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    """Poll `condition` until it holds; False if not within `timeout` (a bound on a hang, not on speed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def pg_lock_waiters(url: str, *, at_least: int = 1, timeout: float = 30.0) -> bool:
    """Wait until `at_least` sessions of the app in `url`'s database wait on a lock; False if not within `timeout`."""
    import psycopg  # here: the SQLite tests run without it

    with psycopg.connect(url, autocommit=True) as admin:
        return wait_until(lambda: _count(admin.execute(_WAITING).fetchone()) >= at_least, timeout=timeout)


def pg_lock_waiting(url: str) -> int:
    """How many sessions of the app in `url`'s database wait on a lock now."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        return _count(admin.execute(_WAITING).fetchone())


def _count(row: tuple[Any, ...] | None) -> int:
    return int(row[0]) if row is not None else 0
