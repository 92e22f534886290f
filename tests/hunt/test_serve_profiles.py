"""`serve --profile NAME=FILE` given twice with one NAME: the later file silently replaced the earlier one, so
`guarded-rag:NAME` ran with settings the operator did not read on the command line (say, the lax policy instead of
the strict one, when a script appends a profile). Now a usage error naming the profile, before the server starts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import app.cli.serve as cli_serve
from app import GuardedRAG
from app.cli.main import main
from tests.app.serve.test_profiles_closed import recording_derive
from tests.fake_service import make_service


def profile_file(tmp_path: Path, name: str, top_k: int) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f"top_k = {top_k}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("specs", "twice"),
    [
        ([("strict", "a", 2), ("strict", "b", 3)], "strict"),  # one name, two files: the second won
        ([("strict", "a", 2), ("strict", "a", 2)], "strict"),  # the same spec repeated
        ([("x", "a", 2), ("y", "b", 3), ("x", "c", 5)], "x"),  # not next to each other
    ],
)
def test_a_profile_name_given_twice_is_a_usage_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    specs: list[tuple[str, str, int]],
    twice: str,
) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    built = recording_derive(svc, monkeypatch)
    monkeypatch.setattr(cli_serve, "run_server", lambda *a, **k: pytest.fail("the server must not start"))
    argv = ["serve"]
    for name, file, top_k in specs:
        argv += ["--profile", f"{name}={profile_file(tmp_path, file, top_k)}"]
    assert main(argv, io.StringIO(), build=lambda _s: svc) == 2
    err = capsys.readouterr().err
    assert f"--profile {twice!r} is given twice" in err and "Traceback" not in err
    assert all(p.closed for p in built)


def test_distinct_profile_names_still_start_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    started: dict[str, int] = {}

    def run_server(default: GuardedRAG, options: object, *, profiles: dict[str, GuardedRAG]) -> None:
        started.update({name: p.settings.top_k for name, p in profiles.items()})

    monkeypatch.setattr(cli_serve, "run_server", run_server)
    argv = ["serve", "--profile", f"a={profile_file(tmp_path, 'a', 2)}", "--profile", f"b={profile_file(tmp_path, 'b', 3)}"]
    assert main(argv, io.StringIO(), build=lambda _s: svc) == 0
    assert started == {"a": 2, "b": 3}
