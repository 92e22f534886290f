"""A save or import that fails because the disk is full says so. SQLite rolls the transaction back itself after
such an error, and the backend's own ROLLBACK then failed with "cannot rollback - no transaction is active",
which replaced the error that said what went wrong (the writer's status, the dead-letter note and the import's
message all showed it). A full disk is simulated with PRAGMA max_page_count on every connection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.traces import SqliteTraceBackend, TraceInputs, TraceRecord, TraceStore, TraceStoreError
from app.traces import sqlite as sqlite_backend
from app.traces.jsonl import write_export
from chains import GuardInputs
from guardrails import Chunk, GuardContext
from tests.app.test_traces import record


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SqliteTraceBackend:
    backend = SqliteTraceBackend(tmp_path / "t.sqlite3")
    real_connect = sqlite_backend.connect

    def no_room(path: Path) -> sqlite3.Connection:
        conn = real_connect(path)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages}")  # not one page more
        return conn

    monkeypatch.setattr(sqlite_backend, "connect", no_room)
    return backend


def big(i: int) -> TraceRecord:
    """A small trace whose inputs hold a large chunk text: its insert fails on the full disk, and SQLite rolls
    the whole transaction back (the chunk_texts insert runs without a statement journal)."""
    chunk = Chunk(chunk_id=f"c{i}", source="a.md", text=f"{i} " + "x" * 200_000, score=0.5, label="S1")
    ctx = GuardContext(question="q", chunks=(chunk,))
    return record(i).model_copy(update={"inputs": TraceInputs(captures=(GuardInputs(stage="retrieval", context=ctx),))})


def test_a_save_on_a_full_disk_says_the_disk_is_full(full_disk: SqliteTraceBackend):
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        full_disk.save_many([big(1)])
    assert full_disk.count() == 0


def test_an_import_on_a_full_disk_says_the_disk_is_full(full_disk: SqliteTraceBackend, tmp_path: Path):
    export = tmp_path / "e.jsonl"
    write_export(export, [big(1), big(2)])
    store = TraceStore(full_disk, background=False)
    try:
        with pytest.raises(TraceStoreError, match=r"nothing was imported\) .*database or disk is full; the disk is full"):
            store.import_jsonl(export)
        assert store.count() == 0
    finally:
        store.close()
