"""`traces import` reads a line only up to a bound: a file with one 200 MB line took ~1.9 GB of memory before
failing. A longer line is a bad line like any other (all or nothing: nothing is imported, the first bad line is
named with its number), read in pieces and never held whole; the limit is injected small here."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from app.jsonline import line_safe
from app.traces import TraceStoreError
from app.traces.jsonl import LINE_MAX, read_export
from tests.app.traces.test_export_file import record


def _line(i: int) -> str:
    return line_safe(record(i).model_dump_json())


LIMIT = 2 * len(_line(0))
LONG = '{"trace_id": "' + "x" * (3 * LIMIT) + '"}'


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        ([_line(0), _line(1)], None),  # good lines: imported
        ([_line(0), " " * (LIMIT - len(_line(1))) + _line(1)], None),  # within the limit: read as before
        ([_line(0), LONG, _line(1)], ":2 is longer than"),
        ([LONG], ":1 is longer than"),  # the only line, without a line end
        ([LONG, LONG, _line(1)], ":1 is longer than"),  # and one more after it is counted
        ([_line(0), "{not json", LONG], ":2 is not a trace record"),  # the first bad line is the one named
    ],
    ids=["good", "long-but-allowed", "middle", "only-line", "two-long", "first-bad-first"],
)
def test_an_over_long_line_is_a_bad_line(tmp_path: Path, lines: list[str], error: str | None) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + ("\n" if lines[-1] is not LONG else ""), encoding="utf-8")
    if error is None:
        assert [r.trace_id for r in read_export(path, line_max=LIMIT).records] == ["t0000", "t0001"]
        return
    with pytest.raises(TraceStoreError, match=error) as caught:
        read_export(path, line_max=LIMIT)
    assert "nothing was imported" in str(caught.value)
    assert str(path) in str(caught.value)
    if lines.count(LONG) == 2:
        assert "1 more bad line(s)" in str(caught.value)


def test_an_over_long_line_is_never_held_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    huge = 8 * 1024 * 1024
    with path.open("w", encoding="utf-8") as out:
        out.write(_line(0) + "\n")
        out.write('{"trace_id": "' + "x" * huge + '"}\n')
    tracemalloc.start()
    try:
        with pytest.raises(TraceStoreError, match=":2 is longer than 4,096 characters"):
            read_export(path, line_max=4096)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < huge // 2, f"peak {peak:,} bytes while reading an {huge:,}-character line"


def test_the_default_limit_is_far_above_what_the_store_writes() -> None:
    assert LINE_MAX >= 64 * 1024 * 1024
