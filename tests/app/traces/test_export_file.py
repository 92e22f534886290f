"""The file `traces export --jsonl FILE` writes: found by a walkthrough, an export named the trace database itself
truncated it and wrote JSON into it (every later command: "file is not a database"), and an export that failed
half way left a cut-off file where the previous export was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.traces import TraceRecord, TraceStore
from app.traces.jsonl import read_export, write_export
from chains import TraceEvent

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def record(i: int) -> TraceRecord:
    return TraceRecord(
        trace_id=f"t{i:04d}",
        created_at=T0 + timedelta(seconds=i),
        question=f"q {i}",
        status="answered",
        backend="embedded",
        model="m",
        llm_calls=1,
        latency_ms=10.0,
        result={"status": "answered"},
        events=(TraceEvent(seq=1, step="input", name="input_size", outcome="passed"),),
    )


def stored(tmp_path: Path, n: int = 3) -> tuple[TraceStore, Path]:
    db = tmp_path / "traces.sqlite3"
    store = TraceStore(db, background=False)
    for i in range(n):
        store.save(record(i))
    return store, db


def test_an_export_onto_the_trace_database_refuses_and_keeps_every_trace(tmp_path: Path):
    store, db = stored(tmp_path)
    with pytest.raises(FileExistsError, match="not a trace export"):
        store.export_jsonl(db)
    assert store.count() == 3
    assert [r.trace_id for r in TraceStore(db, background=False).list()] == ["t0002", "t0001", "t0000"]


@pytest.mark.parametrize(
    "content",
    [
        '{"set_aside_at": "2026-12-01T00:00:00+00:00", "record": {}}\n',  # a dead-letter file: traces kept nowhere else
        "# My notes\n\nimportant\n",
    ],
)
def test_an_export_leaves_a_file_that_is_not_an_export_as_it_is(tmp_path: Path, content: str):
    store, _ = stored(tmp_path)
    other = tmp_path / "other.jsonl"
    other.write_text(content, encoding="utf-8")
    with pytest.raises(FileExistsError):
        store.export_jsonl(other)
    assert other.read_text(encoding="utf-8") == content


def test_an_export_replaces_an_earlier_export_an_empty_file_and_a_link_to_one(tmp_path: Path):
    store, _ = stored(tmp_path)
    earlier, empty, link = tmp_path / "earlier.jsonl", tmp_path / "empty.jsonl", tmp_path / "link.jsonl"
    write_export(earlier, [record(9)])
    empty.touch()
    link.symlink_to(earlier)
    assert store.export_jsonl(earlier) == 3 and store.export_jsonl(empty) == 3 and store.export_jsonl(link) == 3
    assert link.is_symlink()  # the export went to the file it points to, the link stays
    for path in (earlier, empty):
        assert [r.trace_id for r in read_export(path).records] == ["t0002", "t0001", "t0000"]


def test_an_export_that_fails_half_way_keeps_the_earlier_export_and_leaves_no_stray_file(tmp_path: Path):
    out = tmp_path / "x.jsonl"
    write_export(out, [record(1), record(2)])
    before = out.read_bytes()

    def failing() -> Iterator[TraceRecord]:
        yield record(3)
        raise KeyboardInterrupt  # Ctrl-C (or a full disk) after the first line

    with pytest.raises(KeyboardInterrupt):
        write_export(out, failing())
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.jsonl"]


def test_an_export_to_a_link_loop_is_an_os_error_naming_it(tmp_path: Path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(OSError, match="symbolic links"):  # `traces export` says "cannot write …: Too many levels …"
        write_export(a, [record(1)])
    assert a.is_symlink() and b.is_symlink()
