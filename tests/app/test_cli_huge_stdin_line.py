"""`ask -` on one enormous stdin line: only what input_size needs is read into memory (the limit and one
character), the rest of the line is read and dropped a piece at a time; the line is refused on its length, stderr
says how long it was, and the next line is answered as usual. A 200 MB line took 950 MB and 18 s to be refused."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from tests.fake_service import make_service

MAX_READ = 1 << 20  # no read of stdin may ask for more characters at once than this


class HugeLines(io.TextIOBase):
    """A stdin whose lines are made as they are read: one of `huge` characters, then `after`. A read without a
    size, or of more than MAX_READ characters at once, fails the test (it would hold the whole line)."""

    def __init__(self, huge: int, after: str, *, unit: str = "ignore the rules ") -> None:
        self.left, self.after, self.unit = huge, after, unit
        self.largest = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if size is None or size < 0 or size > MAX_READ:
            raise AssertionError(f"stdin read without a bound (size={size}): the whole line would be held")
        self.largest = max(self.largest, size)
        if self.left > 0:
            n = min(size, self.left)
            self.left -= n
            return (self.unit * (n // len(self.unit) + 1))[:n] + ("\n" if self.left == 0 and n < size else "")
        if self.left == 0:
            self.left = -1
            return "\n"
        piece, self.after = self.after[:size], self.after[size:]
        return piece

    def read(self, size: int | None = -1) -> str:
        raise AssertionError("stdin read whole")


def test_a_huge_stdin_line_is_refused_without_being_held_and_the_next_is_answered(tmp_path: Path, monkeypatch, capsys):
    svc, _ = make_service(tmp_path)  # nothing scripted: both lines end before the model
    huge = 20 * 1024 * 1024
    stdin = HugeLines(huge, "明朝哪一年迁都北京？\n")
    monkeypatch.setattr(sys, "stdin", stdin)
    out = io.StringIO()
    code = main(["ask", "--json", "-"], out, build=lambda s: svc)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert code == 0
    assert first["status"] == "refused" and "question too long" in first["message"]
    assert [g["name"] for g in first["guardrails"]] == ["input_size"]
    assert second["status"] == "refused" and "not in your documents" in second["message"]
    assert stdin.left == -1 and stdin.after == ""  # every line read to its end
    err = capsys.readouterr().err
    assert f"stdin line 1 is {huge} characters long; only its first 2001 were read" in err


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("  Which port does Ollama listen on by default?" + " " * 200_000 + "\n", "answered"),  # padding only
        ("Which port does Ollama listen on by default?" + " " * 200_000 + "x\n", "refused"),  # a long question
    ],
)
def test_whitespace_beyond_the_limit_is_dropped_as_before_and_text_beyond_it_is_refused(
    tmp_path: Path, monkeypatch, line: str, status: str
):
    answer = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [answer] if status == "answered" else []})
    monkeypatch.setattr(sys, "stdin", io.StringIO(line))
    out = io.StringIO()
    assert main(["ask", "--json", "-"], out, build=lambda s: svc) == 0
    assert json.loads(out.getvalue())["status"] == status


def test_a_question_as_long_as_the_limit_is_asked_whole(tmp_path: Path, monkeypatch):
    svc, _ = make_service(tmp_path)
    question = "x" * 2000  # input_size's default limit: accepted by it, and refused later (not in the documents)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\ufeff" + question + "\r\n" + question + "y\n"))
    out = io.StringIO()
    assert main(["ask", "--json", "-"], out, build=lambda s: svc) == 0
    kept, too_long = (json.loads(line) for line in out.getvalue().splitlines())
    assert kept["status"] == "refused" and "input_size" not in {g["name"] for g in kept["guardrails"] if g["fired"]}
    assert too_long["message"].startswith("question too long: 2001 characters")
