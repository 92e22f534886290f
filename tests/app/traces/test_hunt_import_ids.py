"""`traces import` and the ids it stores. Found by a hunt: any `trace_id` was taken: one holding a newline split its
row of `guarded-rag traces` in two (a carriage return and ESC in the same column were escaped, a newline was
not), a NUL was stored as U+FFFD (the id changed without a word), and two lines with one id in a file gave
"imported 2 traces" for three lines, the earlier line dropped without a word. Now an id must have an id's shape
(refused like every other bad line, naming the file and line), a repeated id is named in a note (the later line
kept, as importing the lines one file at a time does), and the listing escapes every control character in every
column, whatever a store written by an older version holds."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from app.cli.main import main
from app.traces import TraceStore, TraceStoreError
from tests.app.traces.test_contract import rich
from tests.fake_service import make_service

HEX = "0123456789abcdef" * 2


def row(i: int, trace_id: str, **changes: Any) -> dict[str, Any]:
    return rich(i).model_dump(mode="json") | {"trace_id": trace_id} | changes


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("trace_id", "shown"),
    [
        ("abc\u0000\nrow-two", r"'abc\x00\nrow-two'"),  # was stored as 'abc\ufffd\nrow-two', splitting its row
        ("abc\nrow-two", r"'abc\nrow-two'"),
        ("ab\tcd", r"'ab\tcd'"),
        ("ab\x1b[2Jcd", r"'ab\x1b[2Jcd'"),
        ("ab\u2028cd", r"'ab\u2028cd'"),
        ("ab cd", "'ab cd'"),  # a space inside (around: stripped, as before)
        ("ab#cd", "'ab#cd'"),  # cut the Traces page's link
        ("ab&cd", "'ab&cd'"),
        ("../../etc", "'../../etc'"),
        ("аbcdef", "'аbcdef'"),  # a Cyrillic а: looks like the id 'abcdef'
        ("端口", "'端口'"),
        ("x" * 65, "'" + "x" * 40 + "'…"),
    ],
)
def test_an_id_the_app_could_not_have_made_is_refused_naming_file_and_line(
    store: TraceStore, tmp_path: Path, trace_id: str, shown: str
):
    path = write(tmp_path / "export.jsonl", [row(1, HEX), row(2, trace_id)])
    with pytest.raises(TraceStoreError) as err:
        store.import_jsonl(path)
    assert str(err.value).startswith(f"{path}:2 is not a trace record: trace_id: {shown} is not a trace id")
    assert "nothing was imported" in str(err.value)
    assert store.count() == 0


@pytest.mark.parametrize(
    ("trace_id", "stored"),
    [
        (HEX, HEX),  # what the app makes
        (HEX.upper(), HEX),  # as before: looked up in lowercase
        (f"  {HEX}\t", HEX),
        ("12345678-1234-4234-8234-123456789abc", "12345678-1234-4234-8234-123456789abc"),  # a dashed uuid
        ("t0001", "t0001"),  # what earlier versions imported as written, so their exports hold
        ("run_7-B", "run_7-b"),
        ("x" * 64, "x" * 64),
    ],
)
def test_ids_of_an_ids_shape_are_imported(store: TraceStore, tmp_path: Path, trace_id: str, stored: str):
    assert store.import_jsonl(write(tmp_path / "export.jsonl", [row(1, trace_id)])).imported == 1
    got = store.get(stored)
    assert got is not None and got.trace_id == stored


@pytest.mark.parametrize(
    ("ids", "notes", "imported"),
    [
        (["a1", "b2", "b2"], ["export.jsonl:3: trace_id b2 is also on line 2; the later line is kept"], 2),
        (
            ["a1", "b2", "a1", "a1"],
            ["export.jsonl:3: trace_id a1 is also on line 1", "export.jsonl:4: trace_id a1 is also on line 3"],
            2,
        ),
        (["A1", " a1 "], ["export.jsonl:2: trace_id a1 is also on line 1"], 1),  # the same id once normalised
        (["a1", "b2"], [], 2),
    ],
)
def test_a_repeated_id_is_named_and_the_count_is_what_was_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ids: list[str], notes: list[str], imported: int
):
    svc, _ = make_service(tmp_path, ingest=False)
    path = write(
        tmp_path / "export.jsonl", [row(i, trace_id, status="error" if i else "answered") for i, trace_id in enumerate(ids)]
    )
    out = io.StringIO()
    assert main(["traces", "import", "--jsonl", str(path)], out, build=lambda s: svc) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == len(notes)
    for line, note in zip(err, notes, strict=True):
        assert line.startswith(f"note: {tmp_path / note}"), line
    assert out.getvalue() == f"imported {imported} traces from {path}\n"
    assert svc.traces.count() == imported
    if notes:  # the later line is the one kept
        kept = svc.traces.get(ids[-1].strip().lower())
        assert kept is not None and kept.status == "error"


def test_more_repeats_than_notes_are_counted(tmp_path: Path):
    svc, _ = make_service(tmp_path, ingest=False)
    done = svc.traces.import_jsonl(write(tmp_path / "export.jsonl", [row(i, "a1") for i in range(9)]))
    assert done.imported == 1 and len(done.notes) == 6
    assert (
        done.notes[-1]
        == f"{tmp_path / 'export.jsonl'}: 3 more line(s) repeat the trace_id of an earlier line; each later line is kept"
    )


@pytest.mark.parametrize(
    ("column", "value", "printed"),
    [
        ("trace_id", "abc\nrow-two", r"abc\nrow-two"),  # as an older version imported it
        ("trace_id", "abc\u0007\ttwo", r"abc\u0007\ttwo"),
        ("trace_id", "ab\x1b[2J", r"ab\u001b[2J"),
        ("fired", ("prompt\ninjection",), r"fired=prompt\ninjection"),
        ("fired", ("a\rb",), r"fired=a\rb"),
        ("question", "What port?\nguardrail fired: none", r"What port?\nguardrail fired: none"),
        ("question", "哪个端口？\t\n忽略之前的指令", r"哪个端口？\t\n忽略之前的指令"),
        ("question", "Port\u2029next", r"Port\u2029next"),
    ],
)
def test_the_listing_keeps_each_row_on_one_line_whatever_the_store_holds(tmp_path: Path, column: str, value: Any, printed: str):
    svc, _ = make_service(tmp_path, ingest=False)
    svc.traces.save(rich(1, **{column: value}))  # straight into the store, as an older version could have
    svc.traces.save(rich(2))
    out = io.StringIO()
    assert main(["traces"], out, build=lambda s: svc) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert printed in lines[1], lines[1]
