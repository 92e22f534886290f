"""After an `ingest --rebuild` stopped midway, doctor said `[ok]` and `ask` refused questions about the documents
it had not put back yet as "not in your documents". Both now say the last rebuild did not finish, with its fix,
until a rebuild completes (the index's health: app.documents.rebuild_marker through the integrity verdict)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from app.documents.ingest_types import IngestProgress
from tests.fake_service import make_service, reopened

UNFINISHED = "the last rebuild did not finish"
QUESTION = "Which port does Ollama listen on by default?"  # answered by ollama-port.md, the second file read


def _stop_at_second_file(p: IngestProgress) -> None:
    if p.stage == "load" and p.done == 1:
        raise KeyboardInterrupt


@pytest.fixture
def run(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": []})
    state = {"svc": svc}

    def service():
        if state["svc"].closed:
            state["svc"] = reopened(state["svc"])
        return state["svc"]

    def cli(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        return main(list(argv), out, build=lambda settings: service()), out.getvalue()

    cli.service = service  # type: ignore[attr-defined]
    return cli


@pytest.mark.parametrize(
    ("name", "interrupted", "completed", "unfinished"),
    [
        ("no rebuild", False, False, False),
        ("rebuild interrupted", True, False, True),
        ("rebuild interrupted, then one completed", True, True, False),
    ],
)
def test_doctor_and_ask_say_the_last_rebuild_did_not_finish(run, name, interrupted, completed, unfinished) -> None:
    if interrupted:
        with pytest.raises(KeyboardInterrupt):
            run.service().ingest(rebuild=True, progress=_stop_at_second_file)
    if completed:
        run.service().ingest(rebuild=True)
    code, out = run("doctor")
    line = next(x for x in out.splitlines() if x.startswith(("[ok] index integrity:", "[PROBLEM] index integrity:")))
    if unfinished:
        assert code == 1 and line.startswith(f"[PROBLEM] index integrity: INCOMPLETE: {UNFINISHED}"), (name, out)
        assert "run `guarded-rag ingest --rebuild` again" in line and "fix: guarded-rag ingest --rebuild" in out, out
        result = run.service().ask(QUESTION)
        assert result.status == "error" and UNFINISHED in result.message, (name, result.status, result.message)
        assert "guarded-rag ingest --rebuild" in result.message
    else:
        assert line.startswith("[ok] index integrity:") and UNFINISHED not in out, (name, out)
