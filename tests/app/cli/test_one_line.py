"""What the CLI prints inside a line of its own stays on that line, whatever a store or an imported trace holds: a
newline, a tab, U+2028/U+2029 and control characters are written as escapes, in every column of `traces` and in the
event lines of `traces show` and `ask --trace` (an imported event's step, name and outcome are free text)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.cli.terminal import event_line, one_line


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "plain"),
        ("two\nlines", "two\\nlines"),
        ("a\ttab", "a\\ttab"),
        ("line\u2028sep", "line\\u2028sep"),
        ("para\u2029sep", "para\\u2029sep"),
        ("中文\n第二行", "中文\\n第二行"),
    ],
)
def test_one_line_keeps_text_on_its_line(text: str, shown: str) -> None:
    assert one_line(text) == shown
    assert len(one_line(text).splitlines()) == 1


@pytest.mark.parametrize("field", ["step", "name", "outcome", "reason"])
def test_an_event_line_is_one_line_whatever_its_fields_hold(field: str) -> None:
    values = {"seq": 1, "step": "input", "name": "prompt_injection", "outcome": "pass", "duration_ms": 1.0, "reason": "ok"}
    values[field] = "forged\n  2 output     grounding      pass\u2028x\ty"
    line = event_line(SimpleNamespace(**values))
    assert line.endswith("\n") and len(line.splitlines()) == 1, line
