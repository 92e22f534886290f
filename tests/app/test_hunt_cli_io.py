"""The command line as a script uses it: stdin that is not UTF-8 under a strict locale, a reader of stdout that left
before the last (buffered) write, and stored text with newlines inside a line of a report."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from app.cli.main import main
from tests.fake_service import make_service


def test_ask_stdin_with_bytes_that_are_not_utf8_still_answers_every_line(tmp_path: Path, monkeypatch) -> None:
    """Under a UTF-8 locale other than C.UTF-8 (en_US.UTF-8, most desktops) Python decodes stdin strictly: one bad
    byte anywhere in the input ended the run with "error: UnicodeDecodeError", before even the first line (decoded
    in the same chunk) was answered. Under C.UTF-8 the same input answers every line and refuses the bad one."""
    svc, _ = make_service(tmp_path)
    stdin = io.TextIOWrapper(
        io.BytesIO(b"Is this plan reasonable?\n\xff\xfe bad bytes?\nIs it good?\n"), encoding="utf-8", errors="strict"
    )
    monkeypatch.setattr(sys, "stdin", stdin)
    out = io.StringIO()
    code = main(["ask", "--json", "-"], out, build=lambda s: svc)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 0 and [r["status"] for r in results] == ["clarify", "refused", "clarify"]
    assert [g["name"] for g in results[1]["guardrails"] if g["fired"]] == ["input_size"]


@contextmanager
def stdout_without_reader() -> Iterator[io.TextIOWrapper]:
    """sys.stdout as a pipe whose reader has gone (`| true`, `| head -c0`, a caller that closed it), buffered as
    Python buffers a piped stdout without PYTHONUNBUFFERED. Set in the test itself: pytest's capture sets
    sys.stdout again between a fixture and the test."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stdout = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    real = sys.stdout
    sys.stdout = stdout
    try:
        yield stdout
    finally:
        sys.stdout = real
        with suppress(BrokenPipeError):  # only without the fix: the test has failed already
            stdout.close()


def test_a_reader_gone_before_the_last_write_is_exit_141_not_an_error_at_exit(tmp_path: Path) -> None:
    """A short listing sat in stdout's buffer until the interpreter's last flush, after main() returned 0: that
    flush printed "Exception ignored in: <_io.TextIOWrapper name='<stdout>'> BrokenPipeError" and the process
    exited 120, a code the README does not list."""
    svc, _ = make_service(tmp_path)
    svc.ask("Is this plan reasonable?")
    with stdout_without_reader() as stdout:
        code = main(["traces"], build=lambda s: svc)
        stdout.flush()  # what the interpreter does at exit: must not fail
    assert code == 141


def test_help_into_a_pipe_whose_reader_left_is_exit_141_too() -> None:
    with stdout_without_reader() as stdout:
        with pytest.raises(SystemExit) as exited:
            main(["traces", "--help"])
        stdout.flush()
    assert exited.value.code == 141


def test_help_and_usage_errors_keep_their_exit_codes(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ask", "--help"])
    assert exited.value.code == 0 and "usage: guarded-rag ask" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["ask", "--bogus", "x"])
    assert exited.value.code == 2 and "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_policy_quality_shows_a_multiline_question_and_note_on_their_own_line(tmp_path: Path, monkeypatch) -> None:
    """Questions come from anyone who can reach `guarded-rag serve` (chat front ends send multi-line messages):
    printed raw in the false-block list, their lines started lines of the report of their own (a fake row),
    where `traces` and `traces show` print them as one line (app/cli/terminal.py: one_line)."""
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    svc, _ = make_service(tmp_path)
    svc.ask("Is this plan reasonable?\n  relevance   9 100% 100% 0%\nfake")
    trace_id = svc.traces.list()[0].trace_id
    assert (
        main(
            ["traces", "label", trace_id, "--outcome", "--wrong", "--note", "benign\nreally"], io.StringIO(), build=lambda s: svc
        )
        == 0
    )
    out = io.StringIO()
    assert main(["policy", "quality"], out, build=lambda s: svc) == 0
    listing = out.getvalue().split("newest first: 1\n")[1]
    assert listing.count("\n") == 1, listing
    assert "Is this plan reasonable?\\n  relevance" in listing and "— benign\\nreally" in listing
