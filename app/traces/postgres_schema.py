"""The PostgreSQL trace store's schema: applying the pending migrations (app/traces/migrations/postgres/) when a
process opens the store, and learning how the database folds case for the question search. Part of the
PostgreSQL backend (app/traces/postgres.py), which calls these once, on its first connection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg

from app.traces.migrations import VERSION_TABLE, pending

_MIGRATION_LOCK = 0x6775_6172_6465_64  # "guarded": pg_advisory_xact_lock key shared by every guarded-rag process
# Collations whose lower() folds every script, tried in this order when the database's own does not.
_FOLDING = ("und-x-icu", "C.utf8", "C.UTF-8", "en_US.utf8", "en_US.UTF-8")
_FOLD_PROBE = "SELECT lower('ÉΣÜ'{collate}) = 'éσü'"


def migrate(conn: psycopg.Connection[tuple[Any, ...]], renew: Callable[[], None], location: str) -> int:
    """Bring the database to the latest schema in one transaction and return its version; the advisory lock makes
    a second process starting at the same time wait here, then find nothing left to do. `renew` restarts the
    caller's deadline before each migration; `location` names the store in messages."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()
        current = int(row[0]) if row else 0
        for migration in pending(current, "postgres", location):
            renew()  # each migration bounded on its own
            conn.execute(migration.sql)  # no parameters: several statements in one call
            conn.execute(
                f"INSERT INTO {VERSION_TABLE} VALUES (%s, %s, %s)",
                (migration.version, migration.name, datetime.now(UTC)),
            )
            current = migration.version
    return current


def case_folding(conn: psycopg.Connection[tuple[Any, ...]]) -> str:
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
