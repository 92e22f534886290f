"""`serve --profile ...`: every profile built is closed when the command ends, however it ends. A profile that
failed to build (a missing file, one embedded configuration too many) or a server that could not start left the
profiles built before it open: their own trace writers and stores. Found by reading app/cli/serve.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import app.cli.serve as cli_serve
from app import GuardedRAG
from app.cli.main import main
from app.serve.exposure import ListenError
from tests.fake_service import make_service


def recording_derive(svc: GuardedRAG, monkeypatch: pytest.MonkeyPatch) -> list[GuardedRAG]:
    """Every service `svc.derive` builds (a profile), in order."""
    built: list[GuardedRAG] = []
    derive = svc.derive

    def record(**overrides: object) -> GuardedRAG:
        built.append(derive(**overrides))
        return built[-1]

    monkeypatch.setattr(svc, "derive", record)
    return built


def profile_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'trace_db = "{tmp_path / (name + ".db")}"\ntop_k = 2\n', encoding="utf-8")  # its own trace store
    return path


def test_the_profiles_built_before_one_that_fails_are_closed(tmp_path: Path, monkeypatch, capsys) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    built = recording_derive(svc, monkeypatch)
    monkeypatch.setattr(cli_serve, "run_server", lambda *a, **k: pytest.fail("the server must not start"))
    argv = ["serve", "--profile", f"a={profile_file(tmp_path, 'a')}", "--profile", f"b={profile_file(tmp_path, 'b')}"]
    argv += ["--profile", f"c={tmp_path / 'missing.toml'}"]
    assert main(argv, io.StringIO(), build=lambda _s: svc) == 2
    assert "missing.toml" in capsys.readouterr().err
    assert len(built) == 2 and all(p.closed for p in built)
    assert all(p.traces is not svc.traces for p in built)  # each had a trace store (and writer) of its own


def test_the_profiles_are_closed_when_the_server_cannot_start(tmp_path: Path, monkeypatch, capsys) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    built = recording_derive(svc, monkeypatch)

    def cannot_listen(*args: object, **kwargs: object) -> None:
        raise ListenError("cannot listen on 127.0.0.1:1: permission denied")

    monkeypatch.setattr(cli_serve, "run_server", cannot_listen)
    assert main(["serve", "--profile", f"a={profile_file(tmp_path, 'a')}"], io.StringIO(), build=lambda _s: svc) == 2
    assert "cannot listen" in capsys.readouterr().err
    assert len(built) == 1 and built[0].closed
