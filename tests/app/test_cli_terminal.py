"""What the CLI prints cannot drive the terminal: control characters from documents, answers and stored questions
come out as visible escapes, and --json stays valid JSON with the same values."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli.main import main
from app.cli.terminal import printable
from tests.fake_service import make_service

HOSTILE = "keep logs\x1b[2J\x1b]0;pwned\x07 for 30\x9b1m days\x7f\rFAKE"


def test_control_characters_become_visible_escapes() -> None:
    shown = printable(HOSTILE)
    assert not any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in shown)
    assert shown == "keep logs\\u001b[2J\\u001b]0;pwned\\u0007 for 30\\u009b1m days\\u007f\\rFAKE"
    assert printable("line one\n\tline two 中文") == "line one\n\tline two 中文"  # newlines, tabs, text untouched


def test_bidirectional_overrides_are_shown_not_obeyed() -> None:
    """A right-to-left override makes a terminal display "keep 03 days" for text that says otherwise (Trojan
    Source); plain right-to-left text, which needs no override, is left alone."""
    assert printable("keep \u202e03\u202c days") == "keep \\u202e03\\u202c days"
    assert printable("a\u2066b\u2069c") == "a\\u2066b\\u2069c"
    assert printable("שלום مرحبا") == "שלום مرحبا"


@pytest.mark.parametrize("value", [HOSTILE, "plain", "中文\u2028", "keep \u202e03\u202c days"])
def test_json_through_the_escapes_is_still_json_with_the_same_value(value: str) -> None:
    assert json.loads(printable(json.dumps({"answer": value}, ensure_ascii=False))) == {"answer": value}


def test_a_stored_question_with_escapes_prints_as_text(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    svc, _ = make_service(tmp_path)
    svc.ask("Is this plan reasonable?\x1b]0;pwned\x07\x1b[2J")
    out = io.StringIO()
    assert main(["traces"], out, build=lambda settings: svc) == 0
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\\u001b]0;pwned\\u0007" in text
    out = io.StringIO()
    assert main(["traces", "--json"], out, build=lambda settings: svc) == 0
    assert json.loads(out.getvalue().splitlines()[0])["question"].endswith("\x1b[2J")  # the JSON value is intact


def test_the_ingest_bar_shows_a_hostile_file_name_as_text(monkeypatch) -> None:
    """A file name may hold escape sequences (any byte but / and NUL): the bar's "load NAME" shows them as
    escapes; the bar's own carriage returns still redraw it."""
    from app import IngestProgress
    from app.cli.progress import tqdm_progress

    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    progress = tqdm_progress()
    progress(IngestProgress(done=0, total=2, current="/docs/evil\x1b[2J\x1b]0;owned\x07.md", stage="load"))
    progress(IngestProgress(done=1, total=2, current="/docs/good.md", stage="load"))
    progress(IngestProgress(done=2, total=2, current="", stage="done"))
    drawn = err.getvalue()
    assert "evil\\u001b[2J\\u001b]0;owned\\u0007.md" in drawn
    assert "\x1b" not in drawn and "\x07" not in drawn
    assert "\r" in drawn and "2/2" in drawn


def test_a_file_name_with_a_newline_cannot_print_a_line_of_its_own(tmp_path: Path) -> None:
    """Found by a walkthrough: names, sources and stored questions are printed inside lines of our own, and
    printable() keeps newlines (answers need them), so a file named 'x\\n  flagged ...' printed a fake line."""
    from app.cli.terminal import one_line

    assert one_line("new\nline\x1b.md") == "new\\nline\\u001b.md"
    svc, _ = make_service(tmp_path, ingest=False)
    folder = tmp_path / "docs"
    (folder / "a\n  guardrail prompt_injection: passed.md").write_bytes(b"")  # an empty file: reported as skipped
    out = io.StringIO()
    assert main(["ingest", str(folder)], out, build=lambda _s: svc) == 0
    skipped = [line for line in out.getvalue().splitlines() if "skipped" in line or "guardrail prompt_injection" in line]
    assert len(skipped) == 1 and "a\\n  guardrail prompt_injection: passed.md" in skipped[0]
