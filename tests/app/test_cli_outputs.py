"""--out is checked before a long run: a folder that cannot be written is a usage error before any work."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.cli.main import main
from app.cli.outputs import file_problem, folder_problem
from tests.fake_service import make_service


def test_folder_and_file_problems(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    assert folder_problem(tmp_path / "new" / "deeper") is None and (tmp_path / "new" / "deeper").is_dir()
    assert list((tmp_path / "new" / "deeper").iterdir()) == []  # the write test leaves nothing behind
    assert folder_problem(blocker / "sub") == f"{blocker} is a file, not a folder"
    assert folder_problem(blocker) == f"{blocker} is a file, not a folder"
    assert file_problem(tmp_path / "p.toml") is None
    assert file_problem(tmp_path) == "it is a folder; name a file"
    assert file_problem(blocker / "p.toml") == f"{blocker} is a file, not a folder"


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["lab", "latency", "--out", "{bad}"], "results"),
        (["eval", "golden", "--out", "{bad}"], "results"),
        (["calibrate", "--out", "{bad}/p.toml"], "the policy"),
    ],
)
def test_an_unwritable_out_stops_before_any_work(
    tmp_path: Path, argv: list[str], what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    svc, _factory = make_service(tmp_path, ingest=False)  # no scripted reply: a model call would fail loudly
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    bad = f"{blocker}/out"
    out = io.StringIO()
    code = main([part.format(bad=bad) for part in argv], out, build=lambda _s: svc)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: cannot write {what} to {bad}") and f"{blocker} is a file, not a folder" in err
    assert out.getvalue() == ""  # errors go to stderr
    assert svc.is_index_empty() and svc.traces.count() == 0
