"""`traces import` on every backend (SQLite file, real PostgreSQL on loopback): every line is validated before
anything is written, the write is one transaction (all or nothing), a trace listed twice keeps the labels of both
lines, a label saved while an import runs is not overwritten, and ids are stored as the app looks them up.

Found by exploratory testing: the import committed every 64 lines, so a bad value late in the file (a count of
1e30: SQLite's OverflowError; a NaN latency: IntegrityError) or a Ctrl-C left a half-imported store and a raw
error; the earlier line of a trace listed twice lost its labels; an id in capitals could not be shown or labelled.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.traces import TraceLabel, TraceStore, TraceStoreError, open_trace_backend, sqlite_file
from app.traces import jsonl as trace_store
from app.traces import merge as trace_models
from app.traces import postgres_queries as pg_queries
from app.traces import sqlite as sqlite_backend
from tests.app.traces.lock_waits import WriteLockAsks, pg_lock_waiting, sqlite_write_lock_held, wait_until
from tests.app.traces.test_contract import rich

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def label(target: str, correct: bool, at: datetime, note: str = "") -> TraceLabel:
    return TraceLabel(target=target, correct=correct, decision="fired", note=note, created_at=at)


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    # json.dumps writes NaN and Infinity as the bare words, which pydantic's JSON parser reads as floats
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def many(n: int) -> list[dict[str, Any]]:
    return [rich(i).model_dump(mode="json") for i in range(n)]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("llm_calls", 10**30, "llm_calls: Input should be less than or equal to 2147483647"),  # SQLite: OverflowError
        ("llm_calls", -3, "llm_calls: Input should be greater than or equal to 0"),  # was stored as it came
        ("latency_ms", float("nan"), "latency_ms: Input should be a finite number"),  # SQLite: NULL, IntegrityError
        ("latency_ms", float("inf"), "latency_ms: Input should be a finite number"),
        ("latency_ms", -5.0, "latency_ms: Input should be greater than or equal to 0"),
        ("created_at", "0001-01-01T00:00:00+05:00", "created_at: 0001-01-01T00:00:00+05:00 is out of range once converted"),
        ("created_at", "9999-12-31T23:00:00-05:00", "created_at: 9999-12-31T23:00:00-05:00 is out of range once converted"),
    ],
)
def test_a_bad_value_late_in_the_file_is_named_and_nothing_is_imported(
    store: TraceStore, tmp_path: Path, field: str, value: Any, says: str
):
    rows = many(150)
    rows[139][field] = value
    path = write(tmp_path / "export.jsonl", rows)
    with pytest.raises(TraceStoreError, match=r"export\.jsonl:140 is not a trace record: ") as err:
        store.import_jsonl(path)
    assert says in str(err.value) and "nothing was imported" in str(err.value)
    assert store.count() == 0  # before: the first two batches of 64 were committed


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda row: row["events"][1].update(duration_ms=float("nan")), "events.1.duration_ms: nan is not a finite number"),
        (lambda row: row["events"][2].update(tokens={"eval_count": -1}), "events.2.tokens.eval_count: -1 is negative"),
        (lambda row: row["events"][1].update(seq=1), "events.1.seq: 1 is the seq of an earlier event too"),  # primary key
        (lambda row: row["events"][0].update(seq=2**40), "events.0.seq: 1099511627776 is out of range"),
        (lambda row: row["result"].update(score=float("-inf")), "result.score: -inf is not a finite number"),
        (lambda row: row["result"].update(n=10**20), "result.n: 100000000000000000000 is out of range"),
        (
            lambda row: row.update(labels=[label("relevance", True, T0).model_dump(mode="json") | {"attempt": 2**31}]),
            "labels.0.attempt: 2147483648 is out of range",
        ),
        (
            lambda row: row.update(
                labels=[label("relevance", True, T0).model_dump(mode="json") | {"created_at": "0001-01-01T00:00:00+01:00"}]
            ),
            "labels.0.created_at: 0001-01-01T00:00:00+01:00 is out of range once converted to UTC",
        ),
    ],
)
def test_nested_values_a_store_cannot_keep_are_named(store: TraceStore, tmp_path: Path, change: Any, says: str):
    rows = many(3)
    change(rows[2])
    with pytest.raises(TraceStoreError) as err:
        store.import_jsonl(write(tmp_path / "export.jsonl", rows))
    assert f"export.jsonl:3 is not a trace record: {says}" in str(err.value)
    assert store.count() == 0


def test_every_bad_line_is_counted_and_the_first_is_named(store: TraceStore, tmp_path: Path):
    rows = many(5)
    rows[1]["llm_calls"] = -1
    rows[3]["status"] = "bogus"
    rows[4]["latency_ms"] = float("nan")
    with pytest.raises(TraceStoreError, match=r"export\.jsonl:2 is not a trace record: llm_calls: .*\(2 more bad line"):
        store.import_jsonl(write(tmp_path / "export.jsonl", rows))
    assert store.count() == 0


@pytest.fixture
def fails_at_record(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Make the write fail at the nth record's replay inputs (each record of `rich`-like lines has them), in both
    backends: `fails_at_record(n, exc)`."""

    def arm(n: int, exc: BaseException) -> None:
        calls = {"n": 0}

        def failing(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == n:
                raise exc
            return real(*args, **kwargs)

        real = sqlite_backend.pack
        monkeypatch.setattr(sqlite_backend, "pack", failing)
        monkeypatch.setattr(pg_queries, "pack", failing)

    yield arm


def with_inputs(n: int) -> list[dict[str, Any]]:
    from tests.app.traces.test_policy_lab_store import with_inputs as one

    return [one(i).model_dump(mode="json") for i in range(n)]


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), OSError("disk full")])
def test_an_interrupted_or_failed_write_keeps_nothing(store: TraceStore, tmp_path: Path, fails_at_record: Any, exc: Exception):
    """Ctrl-C (or a storage error) while the records are written: the store is left as it was, not half imported."""
    path = write(tmp_path / "export.jsonl", with_inputs(150))
    fails_at_record(100, exc)
    expected = KeyboardInterrupt if isinstance(exc, KeyboardInterrupt) else TraceStoreError
    with pytest.raises(expected) as err:
        store.import_jsonl(path)
    if expected is TraceStoreError:  # a storage failure is one sentence saying nothing was imported
        assert "nothing was imported" in str(err.value) and "disk full" in str(err.value)
    assert store.count() == 0  # before: 64 (the first batch was committed)


def test_a_trace_listed_twice_keeps_the_labels_of_both_lines(store: TraceStore, tmp_path: Path):
    """Before: the last line won whole, and the labels only the earlier line had were lost."""
    first = rich(
        1, labels=(label("prompt_injection", False, T0, "earlier line"), label("outcome", True, T0 + timedelta(hours=2)))
    )
    again = rich(
        1,
        question="edited",
        labels=(label("relevance", True, T0), label("outcome", False, T0 + timedelta(hours=1))),  # an older judgement
    )
    path = write(
        tmp_path / "export.jsonl", [first.model_dump(mode="json"), rich(2).model_dump(mode="json"), again.model_dump(mode="json")]
    )
    assert store.import_jsonl(path).imported == 2
    got = store.get(first.trace_id)
    assert got is not None and got.question == "edited"  # the last line's copy of the trace
    assert {(lb.target, lb.correct, lb.note) for lb in got.labels} == {
        ("prompt_injection", False, "earlier line"),
        ("relevance", True, ""),
        ("outcome", True, ""),  # the newer judgement of the same decision, from the earlier line
    }


def test_a_label_saved_while_an_import_runs_is_kept(target: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Before: the import read a trace's stored labels, then replaced the trace in a later transaction; a label
    another process saved in between was deleted with the old copy. Here another store handle labels the trace
    right after the import has read its labels; it must be there afterwards. The import goes on once the label is
    saved or the labeller is seen waiting on the import's lock (before: once the labeller had had 1 s, and on a
    slow machine the old import went on before the label was saved, and the test passed without proving it)."""
    importer, labeller = TraceStore(open_trace_backend(target)), TraceStore(open_trace_backend(target))
    asks = WriteLockAsks("labeller")
    try:
        if isinstance(target, Path):
            monkeypatch.setattr(sqlite_backend, "connect", asks.wrap(sqlite_file.connect))
        old = rich(1, labels=(label("relevance", False, T0),))
        importer.save(old)
        importer.flush()
        path = write(tmp_path / "export.jsonl", [old.model_dump(mode="json")])
        concurrent = label("relevance", True, datetime.now(UTC), "made during the import")
        done: list[bool] = []
        threads: list[threading.Thread] = []
        real = trace_models.merge_labels

        def labeller_waits() -> bool:
            """The labeller waits on the import's lock (SQLite: it asked for the write lock, which is held)."""
            if isinstance(target, Path):
                return asks["labeller"].is_set() and sqlite_write_lock_held(target)
            return pg_lock_waiting(target) > 0

        def merge_then_label(stored: Any, imported: Any) -> Any:
            merged = real(stored, imported)
            if not threads:  # once: another process labels the trace now, while the import is under way
                thread = threading.Thread(target=lambda: done.append(labeller.label(old.trace_id, concurrent)), name="labeller")
                threads.append(thread)
                thread.start()
                # saved, when nothing holds it back (the old import); or waiting for the import to commit
                assert wait_until(lambda: bool(done) or labeller_waits(), timeout=30)
            return merged

        monkeypatch.setattr(trace_models, "merge_labels", merge_then_label)
        monkeypatch.setattr(trace_store, "merge_labels", merge_then_label)
        importer.import_jsonl(path)
        threads[0].join(timeout=60)
        assert not threads[0].is_alive()
        assert done == [True]
        got = importer.get(old.trace_id)
        assert got is not None and [(lb.correct, lb.note) for lb in got.labels] == [(True, "made during the import")]
    finally:
        for s in (importer, labeller):
            s.close()
            s.close_backend()


def test_ids_are_stored_as_the_app_looks_them_up(store: TraceStore, tmp_path: Path):
    """An id imported in capitals (or with spaces) was stored as written; `traces show` and `traces label`
    look ids up in lowercase, so it could be reached by neither."""
    row = rich(1).model_dump(mode="json") | {"trace_id": "  ABCDEF0123  "}
    same = rich(1, labels=(label("outcome", True, T0),)).model_dump(mode="json") | {"trace_id": "abcdef0123"}
    assert store.import_jsonl(write(tmp_path / "export.jsonl", [row, same])).imported == 1  # one trace
    got = store.get("abcdef")
    assert got is not None and got.trace_id == "abcdef0123" and [lb.target for lb in got.labels] == ["outcome"]
    assert store.label("abcdef0123", label("relevance", True, T0))


def test_an_id_stored_in_capitals_before_is_found_by_its_lowercase_prefix(store: TraceStore):
    store.save(rich(1).model_copy(update={"trace_id": "ABCDEF0123"}))  # as an earlier import stored it
    got = store.get("abcdef")
    assert got is not None and got.trace_id == "ABCDEF0123"
    assert store.label(got.trace_id, label("outcome", True, T0))


def test_a_blank_id_is_refused(store: TraceStore, tmp_path: Path):
    with pytest.raises(TraceStoreError, match="trace_id: a trace id cannot be blank"):
        store.import_jsonl(write(tmp_path / "export.jsonl", [rich(1).model_dump(mode="json") | {"trace_id": "   "}]))


def test_cli_import_of_a_bad_file_is_one_line_and_imports_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """`traces import` ended in a raw OverflowError (or IntegrityError) with the first lines already stored."""
    import io

    from app.cli.main import main
    from tests.fake_service import make_service

    svc, _ = make_service(tmp_path, ingest=False)
    before = svc.traces.count()
    rows = many(150)
    rows[139]["llm_calls"] = 10**30
    path = write(tmp_path / "export.jsonl", rows)
    out = io.StringIO()
    assert main(["traces", "import", "--jsonl", str(path)], out, build=lambda s: svc) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:140 is not a trace record: llm_calls: ") and err.count("\n") == 1
    assert "Traceback" not in err and out.getvalue() == "" and svc.traces.count() == before
    upper = write(tmp_path / "upper.jsonl", [rich(1).model_dump(mode="json") | {"trace_id": "ABCDEF0123"}])
    assert main(["traces", "import", "--jsonl", str(upper)], io.StringIO(), build=lambda s: svc) == 0
    shown = io.StringIO()
    assert main(["traces", "show", "ABCDEF"], shown, build=lambda s: svc) == 0  # was: no trace 'abcdef'
    assert shown.getvalue().startswith("abcdef0123 ")
