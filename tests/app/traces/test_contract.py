"""The TraceStore contract, run on every backend (SQLite file and real PostgreSQL on loopback): what is saved
comes back exactly, filters mean the same, hostile text cannot wedge the writer, several processes writing at
once lose nothing, and several processes opening a new store at once migrate it exactly once."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.traces import TraceFilter, TraceRecord, TraceStore, open_trace_backend
from app.traces.migrations import VERSION_TABLE, latest
from app.traces.storable import storable
from chains import TraceEvent
from tests.app.test_traces import record

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def rich(i: int, **changes: object) -> TraceRecord:
    """A record using every field, in both languages, with nested results and events with details."""
    events = (
        TraceEvent(
            seq=1, step="backend", name="backend", outcome="ok", reason="ollama at http://gpu:11434", model="qwen2.5:3b", at=T0
        ),
        TraceEvent(
            seq=2,
            step="input",
            name="prompt_injection",
            outcome="fired",
            reason="指令覆盖 pattern",
            evidence=("忽略之前的指令", "ignore previous"),
            duration_ms=0.125,
            at=T0 + timedelta(milliseconds=5),
            details={"action": "refuse", "score": 0.97, "threshold": 0.5, "fail_mode": "closed", "families": ["override"]},
        ),
        TraceEvent(
            seq=3,
            step="generation",
            name="model_call",
            outcome="ok",
            model="qwen2.5:3b",
            raw_output='{"answer": "端口 11434 🙂", "citations": ["S1"]}',
            parsed_output={"answer": "端口 11434 🙂", "citations": ["S1"]},
            tokens={"prompt_eval_count": 321, "eval_count": 17},
            duration_ms=812.5,
            at=T0 + timedelta(seconds=1),
        ),
    )
    base = TraceRecord(
        trace_id=f"r{i:04d}" + "0" * 27,
        created_at=T0 + timedelta(seconds=i),
        question=f"Ollama 默认端口是多少？ #{i}",
        status="answered",
        backend="ollama",
        model="qwen2.5:3b",
        rung="primary",
        llm_calls=1,
        latency_ms=1234.5678,
        fired=("prompt_injection",),
        session="sess-1",
        origin="box-a/4242",
        result={"status": "answered", "answer": "端口 11434", "citations": [{"source": "a.md", "score": 0.8125}], "n": None},
        events=events,
    )
    return base.model_copy(update=changes)


def test_what_is_saved_comes_back_exactly(store: TraceStore):
    saved = [rich(i) for i in range(3)]
    for r in saved:
        store.save(r)
    for r in saved:
        assert store.get(r.trace_id) == r
    listed = store.list()
    assert [r.trace_id for r in listed] == [r.trace_id for r in reversed(saved)]  # newest first
    assert listed[0] == saved[-1].model_copy(update={"events": ()})  # summaries carry no events
    assert store.count() == 3


def test_filters_mean_the_same_on_every_backend(store: TraceStore):
    store.save(rich(1))
    store.save(rich(2, status="clarify", fired=("completeness",), question="请判断这个方案是否合理", session="sess-2"))
    store.save(rich(3, status="refused", fired=("input_size",), model="smollm2:135m", backend="embedded", question="HUGE input"))
    store.save(rich(4, fired=("inputXsize",), question="tricky guardrail name"))

    def ids(**kw: object) -> list[str]:
        return [r.trace_id[:5] for r in store.list(TraceFilter(**kw))]

    assert ids(status="clarify") == ["r0002"]
    assert ids(guardrail="input_size") == ["r0003"]  # '_' is not a wildcard
    assert ids(guardrail="completeness") == ["r0002"]
    assert ids(model="smollm2:135m", backend="embedded") == ["r0003"]
    assert ids(session="sess-2") == ["r0002"]
    assert ids(text="huge") == ["r0003"]  # case-insensitive
    assert ids(text="方案") == ["r0002"]
    assert ids(since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=3)) == ["r0003", "r0002"]
    assert ids(limit=2) == ["r0004", "r0003"]
    assert ids(status="answered", text="nothing like this") == []


def test_get_by_unique_prefix_and_missing(store: TraceStore):
    store.save(record(1))
    store.save(record(2))
    assert store.get("t0001") is not None and store.get("t0001").trace_id == "t0001"
    assert store.get("t000") is None  # ambiguous
    assert store.get("t%") is None and store.get("t_00") is None  # no wildcards
    assert store.get("nope") is None and store.get("") is None


def test_saving_again_replaces_the_record_and_its_events(store: TraceStore):
    store.save(rich(1))
    store.save(rich(1, status="error", events=rich(1).events[:1]))
    assert store.count() == 1
    got = store.get(rich(1).trace_id)
    assert got is not None and got.status == "error" and len(got.events) == 1


def test_a_trace_saved_twice_in_one_batch_is_stored_once(store: TraceStore):
    store.backend.save_many([rich(1), rich(1, status="error")])
    got = store.get(rich(1).trace_id)
    assert store.count() == 1 and got is not None and got.status == "error" and len(got.events) == 3


def test_hostile_text_is_stored_readably_and_does_not_wedge_the_writer(store: TraceStore):
    nasty = "NUL\x00 lone surrogate \ud800 end"
    store.save(
        rich(
            1,
            question=nasty,
            result={"answer": nasty, nasty: [nasty]},
            events=(TraceEvent(seq=1, step="input", name="input_size", outcome="fired", reason=nasty, evidence=(nasty,), at=T0),),
        )
    )
    store.save(rich(2))  # queued behind the hostile one
    assert store.flush(timeout=20)
    status = store.status()
    assert status.pending == 0 and status.failures == 0 and status.written == 2
    got = store.get(rich(1).trace_id)
    clean = "NUL\ufffd lone surrogate \ufffd end"
    assert got is not None and got.question == clean and got.events[0].reason == clean and got.events[0].evidence == (clean,)
    assert got.result == {"answer": clean, clean: [clean]}
    assert store.get(rich(2).trace_id) == rich(2)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("NUL\x00 only", "NUL\ufffd only"),
        ("lone surrogate \udfff only", "lone surrogate \ufffd only"),
        ("a literal backslash-u0000: \\u0000 stays", "a literal backslash-u0000: \\u0000 stays"),
        ("plain 中文 text", "plain 中文 text"),
    ],
)
def test_storable_replaces_exactly_the_unstorable_characters(text: str, stored: str):
    original = rich(1, question=text, result={"answer": text, text: [text]})
    got = storable(original)
    assert got.question == stored and got.result == {"answer": stored, stored: [stored]}
    assert (got is original) == (text == stored)  # a clean record is passed through, not copied


def test_export_jsonl(store: TraceStore, tmp_path: Path):
    for i in range(3):
        store.save(rich(i))
    out = tmp_path / "x.jsonl"
    assert store.export_jsonl(out) == 3
    exported = [TraceRecord.model_validate_json(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(exported, key=lambda r: r.trace_id) == [rich(i) for i in range(3)]


def test_opening_again_keeps_everything_and_the_schema_is_current(target: Path | str):
    first = TraceStore(open_trace_backend(target))
    first.save(rich(1))
    first.close()
    first.close_backend()
    again = TraceStore(open_trace_backend(target))
    try:
        assert again.status().schema_version == latest("sqlite") == latest("postgres")
        assert again.get(rich(1).trace_id) == rich(1)
    finally:
        again.close_backend()


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); " + code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _target_arg(target: Path | str) -> str:
    return str(target)


def _open_code() -> str:
    return (
        "from pathlib import Path; from app.traces import open_trace_backend, TraceStore; "
        "t = sys.argv[1]; target = t if '://' in t else Path(t); "
    )


def test_several_processes_writing_at_once_lose_no_events(target: Path | str):
    TraceStore(open_trace_backend(target)).close_backend()  # created (and migrated) before the writers start
    writers, per_writer = 4, 40
    code = _open_code() + (
        "from tests.app.test_traces import record; "
        "s = TraceStore(open_trace_backend(target)); start = int(sys.argv[2]); "
        f"[s.save(record(i, events=5)) for i in range(start, start + {per_writer})]; "
        "s.close()"  # drains, as a process does when it exits
    )
    procs = [_python(code, _target_arg(target), str(n * 1000)) for n in range(writers)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    store = TraceStore(open_trace_backend(target))
    try:
        assert store.count() == writers * per_writer
        summaries = store.list(TraceFilter(limit=1000))
        assert len(summaries) == writers * per_writer
        assert all(len(store.get(r.trace_id).events) == 5 for r in summaries)
    finally:
        store.close_backend()


def test_several_processes_opening_a_new_store_at_once_migrate_it_once(target: Path | str, tmp_path: Path):
    # Each process imports, says it is ready, then waits for "go": the opens overlap however slow the imports.
    code = _open_code() + (
        "import time; ready, go = Path(sys.argv[2]), Path(sys.argv[3]); ready.touch(); "
        "[time.sleep(0.005) for _ in iter(lambda: go.exists(), True)]; "
        "b = open_trace_backend(target); print(b.schema_version); getattr(b, 'close', lambda: None)()"
    )
    go = tmp_path / "go"
    readies = [tmp_path / f"ready{n}" for n in range(4)]
    procs = [_python(code, _target_arg(target), str(ready), str(go)) for ready in readies]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in readies) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outputs.append(out.strip())
    assert outputs == [str(latest("sqlite"))] * 4
    assert _versions(target) == list(range(1, latest("sqlite") + 1))


def _versions(target: Path | str) -> list[int]:
    if isinstance(target, Path):
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(target)) as conn:
            return [int(v) for (v,) in conn.execute(f"SELECT version FROM {VERSION_TABLE} ORDER BY version")]
    import psycopg

    with psycopg.connect(target) as conn:
        return [int(v) for (v,) in conn.execute(f"SELECT version FROM {VERSION_TABLE} ORDER BY version")]


@pytest.mark.parametrize("newer", [1, 5])
def test_a_store_from_a_newer_guarded_rag_is_refused_with_a_clear_message(target: Path | str, newer: int):
    from app.traces import TraceStoreError

    TraceStore(open_trace_backend(target)).close_backend()
    version = latest("sqlite") + newer
    if isinstance(target, Path):
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(target)) as conn, conn:
            conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (?, 'future', 'x')", (version,))
    else:
        import psycopg

        with psycopg.connect(target) as conn:
            conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (%s, 'future', now())", (version,))
    with pytest.raises(TraceStoreError, match=f"schema version {version}, newer than this guarded-rag knows"):
        open_trace_backend(target)
