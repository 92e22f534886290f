"""The question search (TraceFilter.text, the Traces page's search box) ignores case in every language, on every
backend: PostgreSQL's lower() folds É to é, SQLite's built-in lower() only folds A-Z."""

from __future__ import annotations

import uuid

import pytest

from app.traces import TraceFilter, TraceStore, open_trace_backend
from tests.app.test_traces import record
from tests.postgres_server import PostgresServer


@pytest.mark.parametrize("text", ["école", "ÉCOLE", "über", "ΣΟΦΊΑ", "straße", "Quelle"])
def test_the_question_search_ignores_case_beyond_ascii(store: TraceStore, text: str):
    store.save(record(1, question="École: Über die Quelle der σοφία (straße)"))
    store.save(record(2, question="nothing to see"))
    assert [r.trace_id for r in store.list(TraceFilter(text=text))] == ["t0001"]


@pytest.mark.parametrize("text", ["école", "ÉCOLE", "über", "ΣΟΦΊΑ", "Quelle"])
def test_the_question_search_ignores_case_beyond_ascii_on_a_c_locale_database(postgres: PostgresServer, text: str):
    """A PostgreSQL database created with LC_CTYPE=C (a common default) folds only A-Z in lower(): before, a
    search for "école" missed "École" there."""
    import psycopg

    name = "c_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 LC_CTYPE 'C' LC_COLLATE 'C'")
    store = TraceStore(open_trace_backend(postgres.url(name)))
    try:
        store.save(record(1, question="École: Über die Quelle der σοφία (straße)"))
        store.save(record(2, question="nothing to see"))
        assert [r.trace_id for r in store.list(TraceFilter(text=text))] == ["t0001"]
    finally:
        store.close()
        store.close_backend()
