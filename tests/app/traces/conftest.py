"""Backends for the trace store contract suite: every test taking `target` runs once on a SQLite file and once
on a fresh database in a real PostgreSQL started on loopback (skipped, with the reason, when PostgreSQL is not
installed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.traces import TraceStore, open_trace_backend
from tests import postgres_server
from tests.postgres_server import PostgresServer


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    why = postgres_server.unavailable()
    if why:
        pytest.skip(why)
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.create_database()


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store lives: a SQLite file, or a PostgreSQL URL (both what GUARDED_RAG_TRACE_DB accepts)."""
    if request.param == "sqlite":
        return tmp_path / "traces.sqlite3"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(target: Path | str) -> Iterator[TraceStore]:
    s = TraceStore(open_trace_backend(target))
    try:
        yield s
    finally:
        s.close()
        s.close_backend()
