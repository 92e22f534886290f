"""`ask -` reads one question per line whatever the line ending: a file saved with classic Mac (CR-only) line endings,
or one that mixes them, asked all its lines as one question (CR is neither a control character input_size refuses
nor a line end to Python's stdin on POSIX, which translates no newlines), while `traces import` and `eval` read the
same files line by line."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from tests.fake_service import make_service

# Refused by relevance without a model call (nothing in the sample docs is about it), so no script is needed.
Q1 = "明朝哪一年迁都北京？"
Q2 = "Who painted the Mona Lisa?"


def real_stdin(data: bytes) -> io.TextIOWrapper:
    """stdin as CPython opens it on POSIX: UTF-8, strict, newline="\\n" (no translation of \\r or \\r\\n)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict", newline="\n")


@pytest.mark.parametrize(
    ("data", "questions"),
    [
        (f"{Q1}\n{Q2}\n", [Q1, Q2]),  # LF: as before
        (f"{Q1}\r\n{Q2}\r\n", [Q1, Q2]),  # CRLF (Windows): as before
        (f"{Q1}\r{Q2}\r", [Q1, Q2]),  # CR only (classic Mac OS, some terminals' paste): was one question
        (f"{Q1}\r{Q2}", [Q1, Q2]),  # ... and without a final line end
        (f"{Q1}\r\r\n\r{Q2}\n", [Q1, Q2]),  # mixed, with blank lines between
        (f"\ufeff{Q1}\r{Q2}\r\n", [Q1, Q2]),  # a byte order mark first
    ],
)
def test_every_line_ending_separates_questions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: str, questions: list[str]
) -> None:
    svc, _ = make_service(tmp_path)
    monkeypatch.setattr(sys, "stdin", real_stdin(data.encode()))
    out = io.StringIO()
    assert main(["ask", "--json", "-"], out, build=lambda s: svc) == 0
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["status"] for r in results] == ["refused"] * len(questions)
    assert sorted(r.question for r in svc.traces.list()) == sorted(questions)


def test_a_long_cr_only_line_is_cut_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The piecewise reader of an over-long line stops at a CR too: the next question is not swallowed into it."""
    svc, _ = make_service(tmp_path)
    monkeypatch.setattr(sys, "stdin", real_stdin(f"{'x' * 5000}\r{Q1}\r".encode()))
    out = io.StringIO()
    assert main(["ask", "--json", "-"], out, build=lambda s: svc) == 0
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["status"] for r in results] == ["refused", "refused"]
    assert "stdin line 1 is 5000 characters long" in capsys.readouterr().err
