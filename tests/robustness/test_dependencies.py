"""Dependencies failing under load: a real Chroma server frozen (SIGSTOP) and then dead, and a scripted Ollama that is
slow and erroring while eight threads ask at once. Every request ends in a typed, traced result within its deadline."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from app.models.factory import ModelFactory
from app.service import GuardedRAG
from app.settings import Settings
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.fake_service import make_service, write_docs
from tests.ollama_double import Gen, LoopbackOllama, Reply, ScriptedEngine
from tests.robustness.conftest import ChromaServer

pytestmark = pytest.mark.robustness
Q = "Which port does Ollama listen on by default?"
GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}
TYPED = {"answered", "clarify", "refused", "fallback"}


def ask_all(svc: GuardedRAG, n: int) -> list[tuple[Any, float]]:
    out: list[tuple[Any, float]] = []
    lock = threading.Lock()

    def one() -> None:
        started = time.monotonic()
        r = svc.ask(Q)
        with lock:
            out.append((r, time.monotonic() - started))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def test_a_frozen_then_dead_chroma_server_is_a_typed_error_within_the_deadline(tmp_path: Path, chroma: ChromaServer) -> None:
    svc, _ = make_service(
        tmp_path, scripts={"smollm2:135m": [json.dumps(GOOD)] * 20}, ingest=False, chroma_url=chroma.url, index_timeout=1.0
    )
    proc = chroma.proc
    assert proc is not None
    svc.ingest()
    assert svc.ask(Q).status == "answered"

    os.kill(proc.pid, signal.SIGSTOP)  # frozen: its client would wait forever
    frozen = ask_all(svc, 4)
    assert [r.status for r, _ in frozen] == ["error"] * 4
    assert all(seconds < 4.0 for _, seconds in frozen), [round(s, 2) for _, s in frozen]
    assert all("the document index did not answer" in (r.message or "") and chroma.url in (r.message or "") for r, _ in frozen)
    assert all(any(e.step == "retrieval" and e.outcome == "error" for e in r.events) for r, _ in frozen)

    os.kill(proc.pid, signal.SIGCONT)
    time.sleep(1.5)  # the timed-out calls drain once the server answers again
    assert svc.ask(Q).status == "answered"

    proc.kill()
    proc.wait(timeout=30)
    started = time.monotonic()
    dead = svc.ask(Q)
    assert dead.status == "error" and "the document index did not answer" in (dead.message or "")
    assert time.monotonic() - started < 4.0
    assert svc.traces.count() == 7  # every request traced, failures included


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_eight_askers_against_a_slow_and_erroring_ollama_all_get_typed_traced_results(
    tmp_path: Path, threaded_server: HTTPServer
) -> None:
    replies = [
        Reply.slow(0.6, then=Reply.json_answer(GOOD)),
        Reply.status(500, "llama runner crashed"),
        Reply.midstream_error("out of memory"),
        Reply.json_answer(GOOD),
        Reply.status(503, "server busy"),
        Reply.text("Sure! The port is 11434."),  # prose: the parse ladder and re-asks
        Reply.truncated_ndjson(),
    ]
    double = LoopbackOllama(threaded_server, replies, cycle=True)
    settings = Settings(
        home=tmp_path / "home",
        docs_dir=write_docs(tmp_path / "docs"),
        backend="ollama",
        ollama_host=double.url,
        retries=1,
        reasks=1,
        timeout=2.0,
        load_timeout=5.0,
        latency_budget=20.0,
        breaker_failures=50,  # keep Ollama in play for the whole run (the breaker has its own tests)
    )
    engine = ScriptedEngine([Gen.json_answer(GOOD)] * 400)
    svc = GuardedRAG(
        settings, embeddings=BagOfWordsEmbeddings(), factory=ModelFactory(settings, engine=engine), reraise_bugs=True
    )
    svc.ingest()
    results: list[tuple[Any, float]] = []
    for _ in range(4):
        results += ask_all(svc, 8)
    statuses = [r.status for r, _ in results]
    assert len(results) == 32 and set(statuses) <= TYPED, statuses
    assert {"answered", "fallback"} <= set(statuses)  # some answered by Ollama, some by the ladder
    assert max(seconds for _, seconds in results) < settings.latency_budget + 5
    assert svc.traces.count() == 32
    for r, _ in results:
        stored = svc.traces.get(r.trace_id)
        assert stored is not None and stored.events[-1].name == "result"
    seen = {e.name for r, _ in results for e in r.events if e.outcome in ("error", "retry", "fired", "fallback")}
    assert {"model_call", "transport_retry"} <= seen, seen
