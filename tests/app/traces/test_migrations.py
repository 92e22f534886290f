"""Schema upgrades never lose stored traces: a SQLite file written by guarded-rag before versioned migrations
is adopted as version 1 and upgraded with every row kept; a database at an older version (SQLite or real
PostgreSQL) is brought forward; a migration that fails leaves the old schema and its rows as they were."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from app.traces import TraceStore, TraceStoreError, open_trace_backend
from app.traces import migrations as migrations_module
from app.traces.migrations import VERSION_TABLE, Migration, latest, migrations

# The schema and the INSERT guarded-rag used before migrations were versioned (app/traces/sqlite.py then).
LEGACY_SCHEMA = """
CREATE TABLE IF NOT EXISTS traces (
    trace_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, question TEXT NOT NULL, status TEXT NOT NULL,
    backend TEXT NOT NULL, model TEXT NOT NULL, rung TEXT, llm_calls INTEGER NOT NULL, latency_ms REAL NOT NULL,
    fired TEXT NOT NULL, session TEXT, result_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_created ON traces(created_at);
CREATE TABLE IF NOT EXISTS events (
    trace_id TEXT NOT NULL REFERENCES traces(trace_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    event_json TEXT NOT NULL, PRIMARY KEY (trace_id, seq)
);
"""


def legacy_file(path: Path, n: int) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(LEGACY_SCHEMA)
        for i in range(n):
            conn.execute(
                "INSERT OR REPLACE INTO traces VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    f"old{i:03d}",
                    f"2026-04-0{1 + i % 9}T10:00:00+00:00",
                    f"旧问题 {i}",
                    "answered",
                    "embedded",
                    "smollm2:135m",
                    None,
                    1,
                    12.5,
                    ",grounding,",
                    None,
                    json.dumps({"status": "answered"}),
                ),
            )
            conn.execute(
                "INSERT INTO events VALUES (?,?,?)",
                (f"old{i:03d}", 1, json.dumps({"seq": 1, "step": "input", "name": "input_size", "outcome": "passed"})),
            )


def versions(path: Path) -> list[int]:
    with closing(sqlite3.connect(path)) as conn:
        return [int(v) for (v,) in conn.execute(f"SELECT version FROM {VERSION_TABLE} ORDER BY version")]


def test_a_file_from_before_versioning_is_adopted_and_upgraded_with_every_row(tmp_path: Path):
    path = tmp_path / "traces.sqlite3"
    legacy_file(path, 25)
    store = TraceStore(open_trace_backend(path))
    assert versions(path) == list(range(1, latest("sqlite") + 1))
    assert store.count() == 25
    old = store.get("old007")
    assert old is not None and old.question == "旧问题 7" and old.fired == ("grounding",) and old.origin is None
    assert old.inputs is None and old.labels == ()  # recorded before inputs were kept: shown as not replayable
    assert [e.name for e in old.events] == ["input_size"]
    # and the upgraded file takes new records, with the new column
    from tests.app.traces.test_contract import rich

    store.save(rich(1))
    assert store.get(rich(1).trace_id) == rich(1) and store.count() == 26
    store.close()


def test_every_dialect_has_the_same_numbered_steps():
    assert [(m.version, m.name) for m in migrations("sqlite")] == [(m.version, m.name) for m in migrations("postgres")]


def test_an_older_postgres_database_is_upgraded_with_its_rows(pg_url: str):
    import psycopg

    with psycopg.connect(pg_url) as conn:  # a database left at version 1 by an older guarded-rag
        conn.execute(
            f"CREATE TABLE {VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        conn.execute(migrations("postgres")[0].sql)
        conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (1, 'initial', now())")
        conn.execute("INSERT INTO traces VALUES ('old1', now(), 'q', 'answered', 'ollama', 'm', NULL, 1, 2.5, ',,', NULL, '{}')")
    backend = open_trace_backend(pg_url)
    try:
        assert backend.schema_version == latest("postgres")  # type: ignore[attr-defined]
        old = backend.get("old1")
        assert old is not None and old.question == "q" and old.origin is None
    finally:
        backend.close()  # type: ignore[attr-defined]


def test_a_failing_migration_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "traces.sqlite3"
    legacy_file(path, 3)
    broken = (*migrations("sqlite"), Migration(latest("sqlite") + 1, "broken", "ALTER TABLE traces ADD COLUMN x TEXT;\nNOT SQL;"))
    monkeypatch.setattr(migrations_module, "migrations", lambda dialect: broken)
    with pytest.raises(TraceStoreError, match="cannot open the trace database"):
        open_trace_backend(path)
    with closing(sqlite3.connect(path)) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(traces)")]
        assert "x" not in columns and "origin" not in columns  # the whole upgrade rolled back, not just the last step
        assert conn.execute("SELECT count(*) FROM traces").fetchone()[0] == 3


def test_a_damaged_file_is_named_with_the_way_out(tmp_path: Path):
    path = tmp_path / "traces.sqlite3"
    path.write_bytes(bytes(range(256)) * 64)  # not SQLite: random-looking bytes, as after a bad copy
    with pytest.raises(TraceStoreError) as caught:
        open_trace_backend(path)
    message = str(caught.value)
    assert "file is not a database" in message and f"mv {path} {path}.damaged;" in message
    assert path.read_bytes()[:4] == bytes(range(4))  # said, not done: the user's file is left where it was


def test_a_migration_error_gets_no_damage_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "traces.sqlite3"
    legacy_file(path, 1)
    broken = (*migrations("sqlite"), Migration(latest("sqlite") + 1, "broken", "NOT SQL;"))
    monkeypatch.setattr(migrations_module, "migrations", lambda dialect: broken)
    with pytest.raises(TraceStoreError) as caught:
        open_trace_backend(path)
    assert "move it aside" not in str(caught.value)
