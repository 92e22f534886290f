"""Versioned schema migrations for the trace backends: ordered SQL scripts per dialect (sqlite/, postgres/),
numbered alike, applied when a backend opens and recorded in the `schema_migrations` table. Each backend runs
the pending scripts in one transaction under its own lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
lock), so two processes starting at once never both migrate and a failed upgrade leaves the old schema whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from app.traces.models import TraceStoreError

Dialect = Literal["sqlite", "postgres"]
VERSION_TABLE = "schema_migrations"
_SCRIPT = re.compile(r"(\d{4})_(\w+)\.sql")


class SchemaTooNewError(TraceStoreError):
    """The store was upgraded by a newer guarded-rag: this one must not write to it."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: Dialect) -> tuple[Migration, ...]:
    """The dialect's scripts in order; numbered 1..n without gaps (a gap is a packaging bug)."""
    found = []
    for entry in (resources.files(__package__) / dialect).iterdir():
        match = _SCRIPT.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"{dialect} migrations are not numbered 1..n: {[m.version for m in found]}")
    return tuple(found)


def latest(dialect: Dialect) -> int:
    return migrations(dialect)[-1].version


def pending(current: int, dialect: Dialect, location: str) -> tuple[Migration, ...]:
    """The scripts to run on a store at schema version `current` (0: a new store)."""
    newest = latest(dialect)
    if current > newest:
        raise SchemaTooNewError(
            f"the trace store at {location} has schema version {current}, newer than this guarded-rag knows "
            f"({newest}): upgrade guarded-rag, or point GUARDED_RAG_TRACE_DB at another store"
        )
    return tuple(m for m in migrations(dialect) if m.version > current)
