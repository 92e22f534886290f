"""`ask -` on stdin saved as UTF-16 or UTF-32 (Windows Notepad's "Unicode", PowerShell's `>`): read as UTF-8, every
line was refused by input_size (NUL bytes) and nothing said the input was UTF-16. A byte order mark names the
encoding unambiguously, so such stdin is decoded; UTF-16 without one is said, not guessed at."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from tests.fake_service import make_service

QUESTIONS = ["Is this plan reasonable?", "请判断这个方案是否合理。"]
TEXT = "\r\n".join(QUESTIONS) + "\r\n"  # Windows line ends, as Notepad writes them


def stdin_of(data: bytes) -> io.TextIOWrapper:
    """stdin as Python opens it on a pipe under a UTF-8 locale: a text layer over a buffered reader."""
    return io.TextIOWrapper(io.BufferedReader(io.BytesIO(data)), encoding="utf-8", errors="strict")


@pytest.mark.parametrize(
    "encoding",
    ["utf-16", "utf-16-le-marked", "utf-16-be-marked", "utf-32", "utf-32-be-marked", "utf-8", "utf-8-sig"],
)
def test_stdin_with_a_byte_order_mark_is_decoded_by_it(tmp_path: Path, monkeypatch, capsys, encoding: str) -> None:
    codec = encoding.removesuffix("-marked")
    data = ("\ufeff" if encoding.endswith("-marked") else "") + TEXT
    svc, _ = make_service(tmp_path)
    monkeypatch.setattr(sys, "stdin", stdin_of(data.encode(codec)))
    out = io.StringIO()
    assert main(["ask", "--json", "-"], out, build=lambda s: svc) == 0
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["status"] for r in results] == ["clarify", "clarify"], results
    assert sorted(r.question for r in svc.traces.list()) == sorted(QUESTIONS)
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_mark_is_said_not_silently_refused(tmp_path: Path, monkeypatch, capsys, codec: str) -> None:
    svc, _ = make_service(tmp_path)
    monkeypatch.setattr(sys, "stdin", stdin_of(TEXT.encode(codec)))
    out = io.StringIO()
    main(["ask", "--json", "-"], out, build=lambda s: svc)
    err = capsys.readouterr().err
    assert "stdin looks like UTF-16 without a byte order mark" in err and "Traceback" not in err
    assert all(json.loads(line)["status"] == "refused" for line in out.getvalue().splitlines())  # and traced


def test_a_broken_utf16_sequence_is_a_replacement_character_not_a_crash(tmp_path: Path, monkeypatch, capsys) -> None:
    svc, _ = make_service(tmp_path)
    monkeypatch.setattr(sys, "stdin", stdin_of(TEXT.encode("utf-16") + b"A"))  # an odd byte at the end
    out = io.StringIO()
    assert main(["ask", "--json", "-"], out, build=lambda s: svc) == 0
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["status"] for r in results][:2] == ["clarify", "clarify"] and len(results) == 3
    assert "Traceback" not in capsys.readouterr().err
