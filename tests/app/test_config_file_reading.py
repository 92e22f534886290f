"""Every TOML file the CLI is given (--config, GUARDED_RAG_POLICY, `policy replay --policy`, `serve --profile`) is
read by guardrails/toml_file.py. A hunt found each read whole: /dev/zero grew the process until the OOM killer, a 4
GB file likewise, a FIFO with no writer hung it, ~3,000 nested `[` ended it with a RecursionError traceback (exit 1)
or "error: RecursionError: ..." without the file's name, and a UTF-8 BOM was "Invalid statement". Now each is one
line naming the file and what is wrong with it, exit code 2 like other bad configuration; a BOM is read."""

from __future__ import annotations

import contextlib
import io
import os
import threading
from pathlib import Path

import pytest

from app import GuardedRAG, Settings
from app.cli.codes import EXIT_OK, EXIT_USAGE
from app.cli.main import main
from app.lab.policy.files import replaceable_policy
from tests.fake_service import make_service

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX: FIFOs and /dev/zero")

DEEP = "[guardrails.relevance]\nx = " + "[" * 3000 + "]" * 3000 + "\n"

# how each command is given the file; "env" sets GUARDED_RAG_POLICY (read while the service is built)
ENTRIES = {
    "--config": ["--config", "{file}", "traces"],
    "GUARDED_RAG_POLICY": ["traces"],
    "policy replay": ["policy", "replay", "--policy", "{file}"],
    "serve --profile": ["serve", "--port", "0", "--profile", "strict={file}"],
}
# the file, and the words its one-line message holds after the file's name
BAD = {
    "folder": "it is a folder, not a regular file",
    "fifo": "it is a pipe (FIFO), not a regular file",
    "dev-zero": "it is a character device, not a regular file",
    "sparse-4gb": "it holds 4,294,967,296 bytes (4.3 GB); a TOML file here is at most 1,000,000 bytes",
    "deep": "arrays or inline tables are nested too deeply to be read",
}


def _bad_file(tmp: Path, kind: str) -> Path:
    path = tmp / kind
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        return Path("/dev/zero")
    elif kind == "sparse-4gb":
        with path.open("wb") as f:
            f.truncate(4 * 2**30)  # refused by its size: nothing is read
    else:
        path.write_text(DEEP, encoding="utf-8")
    return path


def _release(path: Path) -> None:
    """A reader stuck opening the FIFO gets a writer that leaves at once: a failed test rather than a hang."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_a_file_that_is_no_toml_file_is_one_line_naming_it_and_exit_code_2(
    tmp_path: Path, entry: str, kind: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("app.cli.serve.run_server", lambda *a, **k: None)  # a profile read as valid serves no one
    path = _bad_file(tmp_path, kind)
    if entry == "GUARDED_RAG_POLICY":
        monkeypatch.setenv("GUARDED_RAG_POLICY", str(path))
        build = GuardedRAG  # the policy is read first: nothing is built
    else:
        svc, _ = make_service(tmp_path, ingest=False)
        build = lambda _s: svc  # noqa: E731
    argv = [part.format(file=path) for part in ENTRIES[entry]]
    released = threading.Timer(10, _release, (path,))
    released.start()
    try:
        code = main(argv, io.StringIO(), build=build)
    finally:
        released.cancel()
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("error: ") and f"{path}: {BAD[kind]}" in err, err


def test_a_config_file_with_a_bom_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Windows Notepad saves UTF-8 with a byte order mark: it was "Invalid statement (at line 1, column 1)"."""
    svc, _ = make_service(tmp_path, ingest=False)
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbftop_k = 3\n")
    seen: list[Settings] = []

    def build(settings: Settings) -> GuardedRAG:
        seen.append(settings)
        return svc

    code = main(["--config", str(tmp_path / "bom.toml"), "traces"], io.StringIO(), build=build)
    assert code == EXIT_OK, capsys.readouterr().err
    assert seen[0].top_k == 3


def test_a_policy_with_a_bom_is_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    policy = Path(__file__).parents[2] / "guardrails" / "default_policy.toml"
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + policy.read_bytes())
    out = io.StringIO()
    code = main(["policy", "replay", "--policy", str(tmp_path / "bom.toml")], out, build=lambda _s: svc)
    assert code == EXIT_OK, capsys.readouterr().err
    assert out.getvalue().startswith("replayed 0 trace(s)")


# what `calibrate --out` / `policy sweep --out` may replace: a deep file crashed it with a RecursionError
REPLACEABLE = [
    ("deep", DEEP.encode(), False),
    ("bom-only", b"\xef\xbb\xbf", True),
    ("bom-policy", b"\xef\xbb\xbf[guardrails.relevance]\nenabled = false\n", True),
    ("over-the-bound", b"#" * 1_000_001, False),
    ("not-toml", b"SQLite format 3\0", False),
]


@pytest.mark.parametrize(("data", "replaceable"), [c[1:] for c in REPLACEABLE], ids=[c[0] for c in REPLACEABLE])
def test_a_file_is_replaced_only_if_it_is_a_policy(tmp_path: Path, data: bytes, replaceable: bool) -> None:
    (tmp_path / "out.toml").write_bytes(data)
    assert replaceable_policy(tmp_path / "out.toml") is replaceable


def test_what_is_no_regular_file_is_left_to_the_write(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    released = threading.Timer(10, _release, (tmp_path / "fifo",))
    released.start()
    try:
        assert replaceable_policy(tmp_path / "fifo") is True  # as /dev/null: not opened, written in place
    finally:
        released.cancel()
