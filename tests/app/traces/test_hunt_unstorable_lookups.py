"""Looking traces up with characters no store can keep (NUL, a lone surrogate: `traces show $'\\xff'`, a pasted
search, GET /v1/traces/%00): the stores keep such characters as U+FFFD, and look them up so. Before, PostgreSQL
raised DataError ("cannot contain NUL") and both stores UnicodeEncodeError, on every backend a different answer
and none of them "not found" or the trace that holds them."""

from __future__ import annotations

from datetime import UTC, datetime

from app.traces import OUTCOME, TraceFilter, TraceLabel, TraceStore
from tests.app.test_traces import record


def test_lookups_with_unstorable_characters_find_what_was_stored(store: TraceStore):
    hostile = record(1).model_copy(update={"trace_id": "id\x00x", "question": "a\x00b \udcff", "session": "s\ud800"})
    store.save(hostile)
    store.save(record(2))

    assert store.get("id\x00x") is not None and store.get("id\x00x").trace_id == "id\ufffdx"  # type: ignore[union-attr]
    assert store.get("nothing\x00") is None and store.get("nothing\udcff") is None
    assert [r.trace_id for r in store.list(TraceFilter(text="a\x00b"))] == ["id\ufffdx"]
    assert [r.trace_id for r in store.list(TraceFilter(text="\udcff"))] == ["id\ufffdx"]
    assert [r.trace_id for r in store.list(TraceFilter(session="s\ud800"))] == ["id\ufffdx"]
    assert store.list(TraceFilter(model="m\x00")) == []

    label = TraceLabel(target=OUTCOME, correct=True, decision="answered", note="\udcff", created_at=datetime.now(UTC))
    assert store.label("id\x00x", label)
    assert not store.label("nothing\x00", label)
    [labelled] = store.list(TraceFilter(labelled=True), full=True)
    assert labelled.trace_id == "id\ufffdx" and labelled.labels[0].note == "\ufffd"
