"""The question search (TraceFilter.text, the Traces page's search box) ignores case in every language, on every
backend: PostgreSQL's lower() folds É to é, SQLite's built-in lower() only folds A-Z."""

from __future__ import annotations

import pytest

from app.traces import TraceFilter, TraceStore
from tests.app.test_traces import record


@pytest.mark.parametrize("text", ["école", "ÉCOLE", "über", "ΣΟΦΊΑ", "straße", "Quelle"])
def test_the_question_search_ignores_case_beyond_ascii(store: TraceStore, text: str):
    store.save(record(1, question="École: Über die Quelle der σοφία (straße)"))
    store.save(record(2, question="nothing to see"))
    assert [r.trace_id for r in store.list(TraceFilter(text=text))] == ["t0001"]
