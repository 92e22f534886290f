"""`guarded-rag ingest` on a GUARDED_RAG_DOCS_DIR that is no folder, and on paths it cannot look at: one clear
line and the right exit code, never a silent success or a traceback (fake embeddings and models)."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path
from typing import Any

import pytest

from app import GuardedRAG, Settings
from app.cli.main import main
from app.fakes import BagOfWordsEmbeddings, write_docs
from tests.fake_service import FakeModelFactory, embedded_choice

pytestmark = pytest.mark.disable_socket


def _ingest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, docs_dir: Path, *argv: str) -> tuple[int, str, list[GuardedRAG]]:
    """Runs `guarded-rag ingest ARGV` with GUARDED_RAG_DOCS_DIR=docs_dir: (exit code, stdout, the service built)."""
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GUARDED_RAG_DOCS_DIR", str(docs_dir))
    built: list[GuardedRAG] = []

    def build(settings: Settings) -> GuardedRAG:
        svc = GuardedRAG(
            settings, embeddings=BagOfWordsEmbeddings(), factory=FakeModelFactory(scripts={}), choose=embedded_choice
        )
        built.append(svc)
        return svc

    out = io.StringIO()
    code = main(["ingest", *argv], out, build=build)
    return code, out.getvalue(), built


def test_a_docs_dir_that_does_not_exist_is_an_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by exploratory testing: it indexed nothing and exited 0."""
    missing = tmp_path / "no-such-docs"
    code, out, _ = _ingest(monkeypatch, tmp_path, missing, "--json")
    assert code == 2 and out == ""
    err = capsys.readouterr().err
    assert f"error: the documents folder {missing} (GUARDED_RAG_DOCS_DIR) does not exist;" in err
    assert "Traceback" not in err


def test_a_docs_dir_that_is_a_file_is_refused_with_the_command_that_indexes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by exploratory testing: the file was indexed under the source "."."""
    file = write_docs(tmp_path / "docs") / "ollama-port.md"
    code, out, built = _ingest(monkeypatch, tmp_path, file)
    assert code == 2 and out == ""
    assert f"GUARDED_RAG_DOCS_DIR must name a folder, and {file} is not one" in capsys.readouterr().err
    assert built[0].documents() == []


def test_the_help_says_what_ingest_without_paths_reads(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ingest", "--help"], io.StringIO())
    help_text = " ".join(capsys.readouterr().out.split())
    assert "default: the folder GUARDED_RAG_DOCS_DIR" in help_text and "must exist and be a folder" in help_text


def test_a_path_inside_a_folder_that_cannot_be_read_is_a_skip_line_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Path.exists raised PermissionError on Python 3.11 for a file inside a folder that cannot be searched, and the
    command ended with "error: PermissionError: ..."; the other paths given are indexed."""
    docs = write_docs(tmp_path / "docs")
    locked = docs / "locked"
    locked.mkdir()
    (locked / "a.md").write_text("# A\n\nLocked away.\n", encoding="utf-8")
    real_stat = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:  # as for a user who is not root at chmod 000
        if not isinstance(path, int) and Path(os.fsdecode(path)).parent == locked:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    code, out, _ = _ingest(monkeypatch, tmp_path, docs, str(locked / "a.md"), str(docs / "ollama-port.md"))
    assert code == 0
    assert f"  skipped {locked / 'a.md'}: cannot reach it (Permission denied); check the path and its permissions." in out
    assert "indexed: 1 new" in out


@pytest.mark.parametrize(("argv", "held"), [((), "the files read before it are indexed"), (("--rebuild",), "holds only")])
def test_ctrl_c_during_ingest_says_what_the_index_holds_and_how_to_finish(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], held: str
) -> None:
    """Found by exploratory testing: an interrupted rebuild left part of the corpus indexed and said only
    "interrupted", and questions were then refused as not in the documents."""

    def interrupted(self: GuardedRAG, *args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(GuardedRAG, "ingest", interrupted)
    code, out, _ = _ingest(monkeypatch, tmp_path, write_docs(tmp_path / "docs"), *argv)
    err = capsys.readouterr().err
    assert code == 130 and out == ""
    assert held in err and "run the same command again to finish" in err and "Traceback" not in err
    assert err.count("interrupted") == 1  # once, with what the index holds: not again, bare, from main()
