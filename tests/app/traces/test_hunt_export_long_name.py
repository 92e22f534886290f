"""An export to a file whose name is near the 255-byte limit: the name fits, yet the temporary file the export is
written to first (the name plus 24 bytes) did not, and the export failed with "File name too long"."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.traces.jsonl import read_export, write_export
from tests.app.traces.test_contract import rich


@pytest.mark.parametrize("name", ["e" * 245 + ".jsonl", "导出" * 40 + ".jsonl"], ids=["ascii", "cjk"])
def test_an_export_to_a_long_name_is_written(tmp_path: Path, name: str):
    target = tmp_path / name
    assert len(name.encode("utf-8")) <= 255
    target.touch()  # the name itself is one the file system takes
    write_export(target, [rich(1), rich(2)])
    assert [r.trace_id for r in read_export(target).records] == [rich(1).trace_id, rich(2).trace_id]
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left
