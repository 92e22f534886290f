"""The dead-letter file (trace records a backend refused) is JSON lines read back by `traces import` and by anyone's
tools: a record holding U+2028, U+2029 or U+0085 (a question sent through serve may) was written raw, valid JSON but
cut in two by a reader splitting with str.splitlines. It is written as every other JSON line of the app
(app/jsonline.py): those characters escaped, the same strings once decoded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.traces.dead_letter import kept_record, set_aside
from tests.app.traces.test_export_file import record


@pytest.mark.parametrize("odd", ["\u2028", "\u2029", "\u0085", "a\u2028b\u2029c\u0085d"])
def test_a_set_aside_record_is_one_line_for_any_reader(tmp_path: Path, odd: str) -> None:
    path = tmp_path / "traces-rejected.jsonl"
    kept = record(1).model_copy(update={"question": f"port {odd} 11434"})
    set_aside(path, kept, location="sqlite", error="IntegrityError: x")
    set_aside(path, record(2), location="sqlite", error="IntegrityError: y")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) == 2, lines
    back = kept_record(lines[0])
    assert back is not None and json.loads(back)["question"] == kept.question
