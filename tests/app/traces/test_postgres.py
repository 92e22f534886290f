"""The PostgreSQL store against a real server on loopback: what goes wrong at startup (server down, wrong
password, no such database) is one clear sentence without the password; a server stopped and restarted while
the app runs loses no trace; the service writes its traces there when GUARDED_RAG_TRACE_DB is a URL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.settings import load_settings
from app.traces import TraceStore, TraceStoreError, open_trace_backend
from tests.app.test_traces import record, refused
from tests.fake_service import make_service
from tests.postgres_server import PASSWORD, PostgresServer, free_port


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (lambda pg: pg.url(password="wrong"), 'password authentication failed for user "postgres"'),
        (lambda pg: pg.url("no_such_db"), 'database "no_such_db" does not exist'),
        (lambda pg: pg.url(port=free_port()), "Connection refused"),
    ],
    ids=["password", "database", "down"],
)
def test_startup_problems_are_one_clear_sentence_without_the_password(postgres: PostgresServer, url, says: str):
    with pytest.raises(TraceStoreError) as caught:
        open_trace_backend(url(postgres))
    message = str(caught.value)
    assert message.startswith("cannot open the PostgreSQL trace store at postgresql://postgres@127.0.0.1:")
    assert says in message and PASSWORD not in message and "wrong" not in message and "\n" not in message


def test_a_server_restart_loses_no_trace(postgres: PostgresServer, pg_url: str):
    store = TraceStore(open_trace_backend(pg_url))
    try:
        for i in range(5):
            store.save(record(i))
        assert store.flush(timeout=30)
        postgres.stop()
        try:
            for i in range(5, 15):
                store.save(record(i))  # returns at once: the writer keeps them and retries
            deadline = time.monotonic() + 30
            while not store.status().failing and time.monotonic() < deadline:
                time.sleep(0.05)
            assert store.status().failing and store.status().pending == 10
            started = time.monotonic()
            with pytest.raises(TraceStoreError, match="unreachable"):
                store.count()  # a read while the server is down fails with a sentence, without waiting for the writer
            assert time.monotonic() - started < 20
        finally:
            postgres.start()
        assert store.flush(timeout=60)
        status = store.status()
        assert store.count() == 15 and status.pending == 0 and status.failures >= 1 and not status.failing
        assert all(store.get(f"t{i:04d}") is not None for i in range(15))
    finally:
        store.close()
        store.close_backend()


def test_a_record_postgres_refuses_is_set_aside_and_the_rest_is_stored(tmp_path: Path, pg_url: str):
    dead = tmp_path / "traces-rejected.jsonl"
    store = TraceStore(open_trace_backend(pg_url), dead_letter=dead)
    try:
        store.save(record(101))
        store.save(refused(102))  # two events with one seq: the events table's primary key refuses it
        store.save(record(103))
        assert store.flush(timeout=30)
        assert store.get("t0101") is not None and store.get("t0103") is not None and store.get("t0102") is None
        assert store.status().rejected == 1 and not store.status().failing
        assert '"trace_id": "t0102"' in dead.read_text(encoding="utf-8")
    finally:
        store.close()
        store.close_backend()


def test_the_service_keeps_its_traces_in_postgres_when_the_setting_is_a_url(tmp_path: Path, pg_url: str):
    settings = load_settings({"GUARDED_RAG_TRACE_DB": pg_url})
    assert settings.trace_url == pg_url
    svc, _ = make_service(tmp_path, trace_store=pg_url)
    r = svc.ask("请判断这个方案是否合理。")
    assert svc.traces.get(r.trace_id) is not None and svc.traces.status().location.startswith("postgresql://postgres@")
    svc.close()
    other = open_trace_backend(pg_url)  # another process on another machine sees the same trace
    try:
        stored = other.get(r.trace_id)
        assert stored is not None and stored.status == "clarify" and stored.origin and "/" in stored.origin
    finally:
        other.close()  # type: ignore[attr-defined]
        svc.traces.close_backend()
