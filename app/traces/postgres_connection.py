"""Connecting to the PostgreSQL trace store, and the client-side deadline every use of a connection runs under.
Part of the PostgreSQL backend (app/traces/postgres.py).

A server that stops answering without closing the connection (a frozen host or process, SIGSTOP) still
acknowledges TCP and keepalives, and its statement timeout runs on the server, so before a read blocked until the
server came back (75 s+ seen). Past the deadline the connection's socket is shut down from a watchdog thread, the
blocked call fails at once and the caller gets a TraceStoreError; the pool drops the broken connection.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import suppress
from typing import Any

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict

from app.traces.models import TraceStoreError

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
STATEMENT_S = 30.0  # the statement_timeout above
CHECK_S = 5.0  # the pool's check of an idle connection (an empty query): as long as a connect may take


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


class Deadline:
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

    def __enter__(self) -> Deadline:
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


def advice(exc: psycopg.Error) -> str:
    """What to do about a driver error, for the message after it."""
    if isinstance(exc, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected):
        return "the statement was stopped, usually after waiting too long for a lock another process holds (a running import?): try again in a moment"
    if isinstance(exc, psycopg.OperationalError):
        return "the connection to the server failed: check that the server is running and reachable, then try again"
    return "see the PostgreSQL server's log; try again"


def first_line(exc: BaseException) -> str:
    """psycopg's messages carry the server's words on the first line and a hint on the next."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2])[:300] if lines else type(exc).__name__
