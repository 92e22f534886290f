"""Ctrl-C during `guarded-rag eval`: one message saying where the records are and how to resume, and exit code 130
(as `ingest` does). It printed that message, re-raised, and main() printed a second, bare "interrupted" after it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.cli.codes import EXIT_INTERRUPTED
from app.cli.main import main
from tests.app.lab.conftest import GOOD, write_jsonl


def test_ctrl_c_during_eval_is_one_message_and_exit_130(service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svc, _ = service(GOOD, KeyboardInterrupt())  # the second question is interrupted
    q = "What port does Ollama listen on by default?"
    data = write_jsonl(tmp_path / "mine.jsonl", [{"id": f"a{i}", "question": q, "type": "answerable"} for i in (1, 2)])
    out = io.StringIO()
    argv = ["eval", str(data), "--modes", "guarded", "--no-progress", "--out", str(tmp_path / "o")]
    assert main(argv, out, build=lambda s: svc) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err.count("interrupted") == 1, err
    assert f"interrupted: records so far are in {tmp_path / 'o' / 'records.jsonl'}" in err and out.getvalue() == ""
    assert len((tmp_path / "o" / "records.jsonl").read_text(encoding="utf-8").splitlines()) == 1  # the first is kept


def test_ctrl_c_during_evals_own_ingest_says_to_finish_the_ingest_first(
    service, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """eval ingests the docs when the index is empty; interrupted there, the index holds part of the corpus and the
    next eval (the index no longer empty) would have evaluated against it without a word."""
    svc, _ = service(ingest=False)

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(svc, "ingest", interrupted)
    data = write_jsonl(tmp_path / "mine.jsonl", [{"id": "a1", "question": "Port?", "type": "answerable"}])
    out = io.StringIO()
    argv = ["eval", str(data), "--modes", "guarded", "--no-progress", "--out", str(tmp_path / "o")]
    assert main(argv, out, build=lambda s: svc) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err.count("interrupted") == 1, err
    assert "run `guarded-rag ingest` to finish, then the same eval command" in err and out.getvalue() == ""
