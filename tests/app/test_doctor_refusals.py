"""`guarded-rag doctor` says what is really wrong: a Chroma server that refuses the token is not told to start (it
runs), an Ollama that answers without the model is a PROBLEM under backend=auto too (naming the tags it has), and
trace records this process diverted to the dead-letter file are counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from app.doctor import run_doctor
from app.documents.index_types import IndexStats
from app.documents.server import server_store
from app.models.backend import BackendChoice, choose_backend
from app.models.probe import probe_ollama
from app.settings import Settings
from app.traces import WriterStatus
from tests.ollama_double import LoopbackOllama, closed_port

EMBEDDED = BackendChoice(kind="embedded", model="smollm2:135m", reason="test", host="http://127.0.0.1:11434")


@pytest.fixture
def server(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver
    httpserver.check_assertions()


def _chroma_refusing(httpserver: HTTPServer, status: int) -> str:
    """A Chroma server (or the proxy before it) on loopback that refuses every request with `status`."""
    httpserver.expect_request("").respond_with_handler(lambda _r: Response("refused", status=status))
    return httpserver.url_for("/").rstrip("/")


def _index_of(settings: Settings) -> IndexStats:
    assert settings.chroma_url is not None
    token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
    store = server_store(settings.chroma_url, token, timeout=2.0)
    store.run("counting chunks", lambda client: client.heartbeat(), seconds=2.0)
    raise AssertionError("the server refuses every request: the call above raises")


@pytest.mark.parametrize(("status", "token", "says"), [(401, "wrong", "GUARDED_RAG_CHROMA_TOKEN"), (403, None, "unset")])
def test_a_chroma_server_that_refuses_the_token_is_told_about_the_token(
    httpserver: HTTPServer, tmp_path: Path, status: int, token: str | None, says: str
) -> None:
    url = _chroma_refusing(httpserver, status)
    settings = Settings(home=tmp_path, chroma_url=url, chroma_token=token)
    report = run_doctor(settings=settings, choice=EMBEDDED, index_stats=lambda: _index_of(settings), trace_count=lambda: 0)
    (index,) = [c for c in report.checks if c.name == "index"]
    assert not index.ok
    assert f"the Chroma server at {url} answers but refused the request ({status} " in index.detail and says in index.detail
    assert "Is the server running" not in index.detail
    assert index.fix == "set GUARDED_RAG_CHROMA_TOKEN to the token the Chroma server (or the proxy before it) expects"
    assert "wrong" not in report.model_dump_json()  # the token itself is never shown


def test_an_ollama_with_the_model_under_another_tag_is_a_problem_under_auto(server: HTTPServer, tmp_path: Path) -> None:
    double = LoopbackOllama(server, [], models=("qwen2.5:7b", "llama3.2:1b"))
    settings = Settings(home=tmp_path, ollama_host=double.url, model="qwen2.5:3b")  # backend=auto
    choice = choose_backend(settings, probe=probe_ollama)
    assert choice.kind == "embedded"  # auto falls back: every question goes to the tiny embedded model
    report = run_doctor(settings=settings, choice=choice, index_stats=lambda: _stats(), trace_count=lambda: 0)
    (backend,) = [c for c in report.checks if c.name == "backend"]
    assert not backend.ok and not report.ok
    assert backend.detail.endswith("; Ollama has qwen2.5:7b")
    assert backend.fix == ("run `ollama pull qwen2.5:3b`, or set GUARDED_RAG_MODEL=qwen2.5:7b (the same model under another tag)")
    assert json.loads(report.model_dump_json())["checks"][0].keys() == {"name", "ok", "detail", "fix"}


def test_an_ollama_that_is_not_running_is_autos_designed_fallback(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, ollama_host=f"http://127.0.0.1:{closed_port()}")
    choice = choose_backend(settings, probe=probe_ollama)
    report = run_doctor(settings=settings, choice=choice, index_stats=lambda: _stats(), trace_count=lambda: 0)
    (backend,) = [c for c in report.checks if c.name == "backend"]
    assert backend.ok and choice.kind == "embedded" and "not reachable" in backend.detail


def test_records_diverted_to_the_dead_letter_file_are_counted_with_how_to_store_them(tmp_path: Path) -> None:
    dead = tmp_path / "traces-rejected.jsonl"
    status = WriterStatus(
        location=str(tmp_path / "traces.sqlite3"),
        pending=0,
        written=5,
        failures=0,
        overflowed=3,
        unbuildable=1,
        dead_letter=str(dead),
    )
    report = run_doctor(
        settings=Settings(home=tmp_path),
        choice=EMBEDDED,
        index_stats=lambda: _stats(),
        trace_count=lambda: 5,
        trace_status=lambda: status,
    )
    (traces,) = [c for c in report.checks if c.name == "traces"]
    assert f"in this process 3 diverted to {dead} (the queue was full while the store failed)" in traces.detail
    assert "1 lost (they could not be built: see the log)" in traces.detail
    assert f"`guarded-rag traces import --jsonl {dead}` stores them" in traces.detail


def _stats() -> IndexStats:
    return IndexStats(collection="docs", count=3, documents=1, embedder_id="e", dimension=8, path="p")
