"""The policy lab's part of the trace store contract, on every backend (SQLite file, real PostgreSQL on loopback):
replay inputs come back exactly with chunk texts stored once across traces, labels are stored, replaced and
filtered on, and inputs and labels survive export and import."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.traces import TraceFilter, TraceInputs, TraceLabel, TraceRecord, TraceStore, TraceStoreError, open_trace_backend
from chains import GuardInputs
from guardrails import Chunk, GuardContext, Signal, Turn, Verdict, load_policy
from tests.app.traces.test_contract import rich

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SHARED = Chunk(chunk_id="doc.md#1", source="doc.md", text="Ollama 默认监听 11434 端口。 Port 11434.", score=0.8125, label="S1")


def inputs(i: int) -> TraceInputs:
    own = Chunk(chunk_id=f"own{i}", source="b.md", text=f"passage {i} ✓", score=0.5, label="S2")
    ctx = GuardContext(
        question=f"默认端口？ #{i}",
        history=(Turn(role="user", content="earlier"),),
        chunks=(SHARED, own),
        signals={"coverage": Signal(name="coverage", score=0.25, evidence=("x",), details={"k": [1, 2]})},
    )
    verdict = Verdict(
        name="relevance", stage="retrieval", fired=False, reason="covered", score=0.8125, details={"best_score": 0.8125}
    )
    answer = ctx.model_copy(update={"answer": "11434 [S1]", "citations": ("S1",), "signals": {}})
    return TraceInputs(
        policy=load_policy(),
        captures=(
            GuardInputs(stage="retrieval", context=ctx, verdicts=(verdict,)),
            GuardInputs(stage="output", attempt=2, rung="primary", model="m", context=answer),
        ),
    )


def with_inputs(i: int, **changes: object) -> TraceRecord:
    return rich(i, inputs=inputs(i), **changes)


def label(target: str, correct: bool, **changes: object) -> TraceLabel:
    return TraceLabel.model_validate(
        {"target": target, "correct": correct, "decision": "fired", "note": "过度拦截", "created_at": T0, **changes}
    )


def chunk_text_rows(store: TraceStore, target: Path | str) -> int:
    if isinstance(target, Path):
        with closing(sqlite3.connect(target)) as conn:
            return conn.execute("SELECT count(*) FROM chunk_texts").fetchone()[0]
    import psycopg

    with psycopg.connect(target) as conn:
        return conn.execute("SELECT count(*) FROM chunk_texts").fetchone()[0]


def test_inputs_come_back_exactly_and_chunk_texts_are_stored_once(store: TraceStore, target: Path | str):
    saved = [with_inputs(i) for i in range(3)]
    for r in saved:
        store.save(r)
    for r in saved:
        assert store.get(r.trace_id) == r
    full = {r.trace_id: r for r in store.list(full=True)}
    assert all(full[r.trace_id].inputs == r.inputs and full[r.trace_id].events == () for r in saved)
    assert all(r.inputs is None for r in store.list())  # a plain listing stays light
    assert chunk_text_rows(store, target) == 1 + 3  # the shared passage once, each trace's own passage once


def test_labels_are_stored_replaced_and_filtered_on(store: TraceStore):
    store.save(with_inputs(1))
    store.save(with_inputs(2))
    trace_id = with_inputs(1).trace_id
    assert store.label(trace_id, label("relevance", False))
    assert store.label(trace_id, label("outcome", True, decision="refused", source="eval"))
    assert store.label(trace_id, label("relevance", True))  # the same decision labelled again replaces the label
    assert not store.label("no-such-trace", label("relevance", True))
    got = store.get(trace_id)
    assert [(lb.target, lb.correct, lb.source) for lb in got.labels] == [("outcome", True, "eval"), ("relevance", True, "user")]
    assert got.labels[1].note == "过度拦截" and got.labels[1].created_at == T0
    assert [r.trace_id for r in store.list(TraceFilter(labelled=True))] == [trace_id]
    assert [r.trace_id for r in store.list(TraceFilter(labelled=False))] == [with_inputs(2).trace_id]


def test_a_label_note_with_characters_no_store_keeps_is_saved_cleaned(store: TraceStore):
    """A note pasted with a NUL failed the save on PostgreSQL (its TEXT cannot hold one: DataError); traces
    already replace it with U+FFFD (app.traces.storable), and so does a label now. (A lone surrogate never gets
    this far: TraceLabel refuses it, as pydantic does any string it cannot encode.)"""
    store.save(with_inputs(1))
    trace_id = with_inputs(1).trace_id
    assert store.label(trace_id, label("relevance", False, note="pasted\x00from a log"))
    assert store.get(trace_id).labels[0].note == "pasted\ufffdfrom a log"


def test_inputs_and_labels_survive_export_and_import(store: TraceStore, tmp_path: Path):
    for i in range(3):
        store.save(with_inputs(i, created_at=T0 + timedelta(seconds=i)))
    store.label(with_inputs(0).trace_id, label("relevance", False, attempt=1))
    before = [store.get(with_inputs(i).trace_id) for i in range(3)]
    out = tmp_path / "export.jsonl"
    assert store.export_jsonl(out) == 3
    other = TraceStore(open_trace_backend(tmp_path / "other.sqlite3"))
    try:
        assert other.import_jsonl(out).imported == 3
        assert [other.get(r.trace_id) for r in before] == before
        assert other.get(before[0].trace_id).labels[0].correct is False
    finally:
        other.close()


def test_importing_an_older_export_keeps_the_labels_made_since(store: TraceStore, tmp_path: Path):
    """Found by a walkthrough: an import replaced each stored trace whole, so re-importing last week's export
    silently erased every label given since."""
    for i in range(2):
        store.save(with_inputs(i, created_at=T0 + timedelta(seconds=i)))
    first, second = with_inputs(0).trace_id, with_inputs(1).trace_id
    store.label(first, label("relevance", False))
    out = tmp_path / "export.jsonl"
    store.export_jsonl(out)
    store.label(first, label("relevance", True, created_at=T0 + timedelta(hours=1)))  # re-judged since the export
    store.label(second, label("outcome", True, decision="answered", created_at=T0 + timedelta(hours=1)))  # new since
    result = store.import_jsonl(out)
    assert (result.imported, result.replaced, result.labels_kept) == (2, 2, 2)
    assert [(lb.target, lb.correct) for lb in store.get(first).labels] == [("relevance", True)]
    assert [(lb.target, lb.correct) for lb in store.get(second).labels] == [("outcome", True)]


def test_imported_times_are_stored_in_utc_and_a_trace_listed_twice_is_one(store: TraceStore, tmp_path: Path):
    """An export from another tool may write local times: "+08:00" was stored as written, and SQLite, which
    compares the text, listed it as the newest trace and let it pass a --since it is before."""
    store.save(with_inputs(0, created_at=T0))  # 12:00 UTC
    east = with_inputs(1).model_dump(mode="json") | {"created_at": "2026-05-01T19:00:00+08:00"}  # 11:00 UTC
    line = TraceRecord.model_validate(east).model_dump_json()
    out = tmp_path / "east.jsonl"
    out.write_text(f"{line}\n{line}\n", encoding="utf-8")
    assert store.import_jsonl(out).imported == 1
    assert [r.trace_id for r in store.list()] == [with_inputs(0).trace_id, with_inputs(1).trace_id]  # newest first
    got = store.get(with_inputs(1).trace_id)
    assert got.created_at == datetime(2026, 5, 1, 11, 0, tzinfo=UTC) and got.created_at.utcoffset() == timedelta(0)
    since = TraceFilter(since=datetime(2026, 5, 1, 11, 30, tzinfo=UTC))
    assert [r.trace_id for r in store.list(since)] == [with_inputs(0).trace_id]


def test_an_export_saved_with_a_byte_order_mark_imports(store: TraceStore, tmp_path: Path):
    """A file re-saved by a Windows editor starts with a UTF-8 byte-order mark; it was 'Invalid JSON at line 1'."""
    out = tmp_path / "bom.jsonl"
    out.write_bytes(b"\xef\xbb\xbf" + (with_inputs(0).model_dump_json() + "\n").encode())
    assert store.import_jsonl(out).imported == 1 and store.get(with_inputs(0).trace_id) is not None


def test_a_bad_import_line_is_named_and_nothing_is_saved(store: TraceStore, tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(with_inputs(1).model_dump_json() + "\n{not json\n", encoding="utf-8")
    with pytest.raises(TraceStoreError, match=r"bad\.jsonl:2"):
        store.import_jsonl(bad)
    assert store.count() == 0
    good = with_inputs(1).model_dump(mode="json")
    for field, value, says in (("status", "bogus", "status"), ("trace_id", "", "trace_id")):  # were imported
        bad.write_text(json.dumps(good | {field: value}) + "\n", encoding="utf-8")
        with pytest.raises(TraceStoreError, match=says):
            store.import_jsonl(bad)
    assert store.count() == 0
