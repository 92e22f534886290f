"""A trace saved after the store closed (a request that finished after the service shut down: it is written on
the caller's thread then) while the backend cannot take it (a PostgreSQL server gone) is kept in the dead-letter
file and counted, as close() keeps what it could not write; before, the backend's error was raised into the
request that saved it and the trace was lost."""

from __future__ import annotations

import json
from pathlib import Path

from app.traces import TraceStore
from app.traces.postgres import PostgresTraceBackend
from tests.app.test_traces import record
from tests.postgres_server import PostgresServer


def test_a_trace_saved_after_close_while_the_server_is_gone_is_kept(tmp_path: Path, postgres: PostgresServer, pg_url: str):
    dead = tmp_path / "rejected.jsonl"
    store = TraceStore(PostgresTraceBackend(pg_url, timeout=1.0), dead_letter=dead)
    try:
        store.save(record(0))
        store.close(timeout=30)
        postgres.stop()
        try:
            store.save(record(1))  # must neither raise into the request nor lose the trace
            store.save(lambda: record(2))
        finally:
            postgres.start()
        kept = [json.loads(line) for line in dead.read_text(encoding="utf-8").splitlines()]
        assert [k["record"]["trace_id"] for k in kept] == ["t0001", "t0002"]
        assert all("unreachable" in k["error"] for k in kept)
        status = store.status()
        assert status.rejected == 2 and status.written == 1 and status.pending == 0
    finally:
        store.close_backend()
    fresh = PostgresTraceBackend(pg_url)
    try:
        assert fresh.count() == 1  # the server back: only the trace written before, nothing half written
    finally:
        fresh.close()
