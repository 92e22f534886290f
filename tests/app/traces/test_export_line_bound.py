"""What `traces export` writes, `traces import` reads: GUARDED_RAG_TRACE_INPUTS_KB allows replay inputs of up to
100 MB, past the 64 Mi-character line `traces import` reads, so a trace could be exported into a file its own
import refused. Export now stops with a clear error on such a trace, the earlier export kept; the bound is
injected small here (jsonl.LINE_MAX, read by the export at call time and passed to the import)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.cli.main import main
from app.jsonline import line_safe
from app.traces import TraceInputs, TraceRecord, TraceStore, TraceStoreError, jsonl
from app.traces.jsonl import read_export
from tests.app.traces.test_export_file import record

SMALL = len(line_safe(record(0).model_dump_json()))
BOUND = SMALL + 4000


def sized(i: int, extra: int) -> TraceRecord:
    """record(i) with a replay-inputs note making its export line `extra` characters longer (give or take)."""
    return record(i).model_copy(update={"inputs": TraceInputs(note="n" * extra)})


@pytest.mark.parametrize(
    ("extras", "fits"),
    [([0, 0], True), ([0, 3000], True), ([0, 8000], False), ([8000], False), ([8000, 0, 0], False)],
    ids=["small", "near-bound", "one-over", "only-over", "over-among-small"],
)
def test_an_export_is_a_file_its_import_reads_or_a_clear_error(
    tmp_path: Path, monkeypatch, extras: list[int], fits: bool
) -> None:
    monkeypatch.setattr(jsonl, "LINE_MAX", BOUND)
    store = TraceStore(tmp_path / "traces.sqlite3", background=False)
    for i, extra in enumerate(extras):
        store.save(sized(i, extra))
    target = tmp_path / "export.jsonl"
    jsonl.write_export(target, [record(99)])  # an earlier export, which a failed one must leave whole
    before = target.read_bytes()
    if fits:
        assert store.export_jsonl(target) == len(extras)
        assert len(read_export(target, line_max=BOUND).records) == len(extras)
        return
    with pytest.raises(TraceStoreError, match=r"characters as a JSON line, more than the .* `traces import` reads"):
        store.export_jsonl(target)
    assert target.read_bytes() == before  # the earlier export is left whole
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert len(read_export(target, line_max=BOUND).records) == 1


def test_the_cli_says_which_trace_and_what_to_do(tmp_path: Path, monkeypatch, capsys) -> None:
    from tests.fake_service import make_service

    monkeypatch.setattr(jsonl, "LINE_MAX", BOUND)
    svc, _ = make_service(tmp_path, ingest=False)
    svc.traces.save(sized(0, 8000))
    svc.traces.count()
    out = io.StringIO()
    assert main(["traces", "export", "--jsonl", str(tmp_path / "x.jsonl")], out, build=lambda s: svc) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: trace t0000 is ") and "GUARDED_RAG_TRACE_INPUTS_KB" in err and "Traceback" not in err
    assert not (tmp_path / "x.jsonl").exists() and out.getvalue() == ""
