"""One exit code for a path a command cannot use (app/cli/codes.py): 2, whichever command names it and however (an
argument, an option, a variable). `traces export` and `traces import` returned 1 where every other command
returned 2. A file that fails while it is written (the disk full) stays a failure, 1."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import pytest

from app import GuardedRAG
from app.cli.codes import EXIT_FAIL, EXIT_USAGE, path_exit_code
from app.cli.main import main
from tests.fake_service import make_service

# {missing}: a path that is not there; {blocked}: a path through a file; {folder}: a folder where a file is expected
CASES = [
    ["ingest", "{missing}"],
    ["ingest", "{blocked}"],
    ["eval", "{missing}.jsonl", "--retrieval-only"],
    ["eval", "golden", "--retrieval-only", "--out", "{blocked}"],
    ["calibrate", "--out", "{blocked}/p.toml"],
    ["calibrate", "--out", "{folder}"],
    ["lab", "latency", "--out", "{blocked}"],
    ["traces", "export", "--jsonl", "{missing}/t.jsonl"],
    ["traces", "export", "--jsonl", "{blocked}/t.jsonl"],
    ["traces", "export", "--jsonl", "{folder}"],
    ["traces", "import", "--jsonl", "{missing}.jsonl"],
    ["traces", "import", "--jsonl", "{folder}"],
    ["policy", "replay", "--policy", "{missing}.toml"],
    ["policy", "replay", "--policy", "{folder}"],
    ["policy", "sweep", "relevance.min_score", "--range", "0.1:0.2:0.05", "--policy", "{missing}.toml"],
    ["policy", "sweep", "relevance.min_score", "--range", "0.1:0.2:0.05", "--target", "recall>=0.9", "--out", "{folder}"],
    ["--config", "{missing}.toml", "traces"],
    ["serve", "--profile", "strict={missing}.toml"],
]


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(a) for a in CASES])
def test_a_path_a_command_cannot_use_is_exit_code_2_with_one_line(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    svc, _ = make_service(tmp_path, ingest=False)  # nothing scripted: no command here may reach a model
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    (tmp_path / "a-folder").mkdir()
    names = {"missing": tmp_path / "missing", "blocked": blocker / "below", "folder": tmp_path / "a-folder"}
    out = io.StringIO()
    code = main([part.format(**names) for part in argv], out, build=lambda _s: svc)
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert out.getvalue() == ""


def test_guarded_rag_policy_naming_a_missing_file_is_exit_code_2(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GUARDED_RAG_POLICY", str(tmp_path / "missing.toml"))
    assert main(["traces"], io.StringIO(), build=GuardedRAG) == EXIT_USAGE  # the policy is read first, nothing built
    assert capsys.readouterr().err == f"error: guardrail policy file not found: {tmp_path / 'missing.toml'}\n"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.ENOENT, EXIT_USAGE),
        (errno.EACCES, EXIT_USAGE),
        (errno.EISDIR, EXIT_USAGE),
        (errno.ENOSPC, EXIT_FAIL),
        (errno.EIO, EXIT_FAIL),
    ],
)
def test_a_path_problem_is_usage_and_a_failed_write_is_a_failure(code: int, expected: int) -> None:
    assert path_exit_code(OSError(code, "x")) == expected


def test_an_export_that_fills_the_disk_is_a_failure_not_a_usage_error(tmp_path: Path, monkeypatch, capsys) -> None:
    svc, _ = make_service(tmp_path, ingest=False)

    def full(*args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(svc.traces, "export_jsonl", full)
    assert main(["traces", "export", "--jsonl", str(tmp_path / "t.jsonl")], io.StringIO(), build=lambda _s: svc) == EXIT_FAIL
    assert "No space left on device" in capsys.readouterr().err
