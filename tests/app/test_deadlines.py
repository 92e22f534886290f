"""Every external call has a deadline: a stalled Ollama (probe, model load, generation, a reply that trickles),
a stalled Ollama embedder and a stalled file read each become a typed, traced outcome within their deadline.
Real clients over real sockets on 127.0.0.1 against a server that accepts and never answers (tests/stalled.py)
or the scripted Ollama double; the index deadline is in tests/app/documents/test_store.py, the Chroma server
one in tests/robustness."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.documents.file_bytes import read_bytes
from app.models.backend import choose_backend, probe_ollama
from app.models.factory import ModelFactory
from app.service import GuardedRAG
from app.settings import Settings
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.fake_service import write_docs
from tests.ollama_double import Gen, LoopbackOllama, Reply, ScriptedEngine
from tests.stalled import header_trickling_server, stalled_server

GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}
Q = "Which port does Ollama listen on by default?"


def settings(tmp_path: Path, host: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "home": tmp_path / "home",
        "docs_dir": write_docs(tmp_path / "docs"),
        "backend": "ollama",
        "ollama_host": host,
        "retries": 1,
        "reasks": 0,
        "timeout": 0.5,
        "load_timeout": 1.0,
        "latency_budget": 6.0,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


# What a busy CI machine may add to a deadline where what is cut would otherwise last for ever (a server that never
# answers, headers that never end) or 10 s (a hung read): a bound of deadline + SLACK still fails those. (The replies
# that trickle to their end within ~2.5 s keep their tighter bounds.)
SLACK = 5.0


def elapsed(started: float) -> float:
    return time.monotonic() - started


def test_a_stalled_ollama_probe_is_an_answer_within_its_timeout() -> None:
    with stalled_server() as host:
        started = time.monotonic()
        probe = probe_ollama(host, "qwen2.5:3b", timeout=0.5)
        assert elapsed(started) < 0.5 + SLACK
        assert not probe.reachable and "Timeout" in (probe.error or "")
        choice = choose_backend(Settings(ollama_host=host), probe=lambda h, m: probe_ollama(h, m, timeout=0.5))
        assert choice.kind == "embedded" and "not reachable" in choice.reason


def test_a_stalled_preload_is_reported_within_its_timeout(tmp_path: Path) -> None:
    with stalled_server() as host:
        factory = ModelFactory(settings(tmp_path, host), engine=ScriptedEngine())
        started = time.monotonic()
        result = factory.preload("ollama", "qwen2.5:3b", 0.5)
        assert elapsed(started) < 0.5 + SLACK
        assert not result.ok and "Timeout" in (result.error or "")


def test_a_stalled_ollama_falls_back_within_the_budget_and_the_trace_says_why(tmp_path: Path) -> None:
    with stalled_server() as host:
        # The budget is far beyond what the stalled calls cost (0.5 s each, the load 1 s): what ends them is their
        # deadlines, and what is timed is that the question ends within its budget, not how fast a loaded CI box
        # runs the checks around the model calls (an 8 s budget failed at 14 s with the machine busy).
        s = settings(tmp_path, host, latency_budget=20.0)
        engine = ScriptedEngine([Gen.json_answer(GOOD)])
        svc = GuardedRAG(s, embeddings=BagOfWordsEmbeddings(), factory=ModelFactory(s, engine=engine), reraise_bugs=True)
        svc.ingest()
        started = time.monotonic()
        r = svc.ask(Q)
        assert elapsed(started) < s.latency_budget
        assert r.status == "fallback" and r.rung == "embedded"
        load = [e for e in r.events if e.name == "model_load" and e.outcome == "error"]
        calls = [e for e in r.events if e.name == "model_call" and e.outcome == "error"]
        assert load and "Timeout" in load[0].reason
        # the call and its one retry, no more
        assert len(calls) == 2 and all("Timeout" in e.reason for e in calls)


def test_a_reply_that_trickles_past_the_total_deadline_is_cut_and_traced(tmp_path: Path, httpserver) -> None:
    """Each line comes within the per-read timeout (0.5 s); the whole reply would take ~6 s."""
    slow = Reply.trickle('{"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}', every_s=0.3)
    double = LoopbackOllama(httpserver, [Reply.text(""), slow, slow])
    s = settings(tmp_path, double.url, latency_budget=2.0, retries=1)
    engine = ScriptedEngine([Gen.json_answer(GOOD)])
    svc = GuardedRAG(s, embeddings=BagOfWordsEmbeddings(), factory=ModelFactory(s, engine=engine), reraise_bugs=True)
    svc.ingest()
    started = time.monotonic()
    r = svc.ask(Q)
    assert elapsed(started) < 6.0
    cut = [e for e in r.events if e.name == "model_call" and e.outcome == "error"]
    assert cut and "took longer than 2 s in all" in cut[0].reason
    assert r.status == "fallback" and r.rung in {"embedded", "extractive", "cannot_answer"}


def test_a_stalled_ollama_embedder_is_a_typed_error_within_its_timeout(tmp_path: Path) -> None:
    with stalled_server() as host:
        # An index written with the id the Ollama embedder will have, so the mismatch check lets the query through.
        same_id = BagOfWordsEmbeddings(embedder_id="ollama:bge-m3")
        indexed = GuardedRAG(settings(tmp_path, host), embeddings=same_id, reraise_bugs=True)
        indexed.ingest()
        s = settings(tmp_path, host, embedder="ollama", timeout=0.5)
        svc = GuardedRAG(s, reraise_bugs=True, choose=lambda _s: indexed.backend())
        svc.backend()  # the backend probe of the stalled server (its own 1.5 s timeout) is not what is timed here
        started = time.monotonic()
        r = svc.ask(Q)
        assert elapsed(started) < 0.5 + 0.5 + SLACK  # the embedder's 0.5 s and the model lookup's 0.5 s
        assert r.status == "error" and "the embedder did not answer" in (r.message or "")
        assert any(e.step == "retrieval" and e.outcome == "error" and "Timeout" in e.reason for e in r.events)


def test_a_file_read_that_hangs_is_a_load_problem_after_its_deadline(tmp_path: Path, monkeypatch) -> None:
    """A stalled network mount cannot be made here; os.open (how the loader opens a file) blocking on an event stands
    in for it."""
    import os

    target = tmp_path / "mounted.md"
    target.write_text("# Mounted\n\nText.", encoding="utf-8")
    release = threading.Event()
    original = os.open

    def hang(file: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        if Path(file) == target:
            release.wait(10)
        return original(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", hang)
    started = time.monotonic()
    problem = read_bytes(target, max_bytes=1_000_000, deadline_s=0.3)
    release.set()
    assert elapsed(started) < 0.3 + SLACK  # its deadline, not the 10 s the read hangs
    assert not isinstance(problem, bytes) and problem.kind == "unreadable" and "did not finish within 0.3 s" in problem.message


def test_a_fifo_named_like_a_document_does_not_hang_ingest(tmp_path: Path) -> None:
    import os

    pipe = tmp_path / "notes.md"
    os.mkfifo(pipe)
    started = time.monotonic()
    problem = read_bytes(pipe, max_bytes=1_000_000, deadline_s=30.0)
    assert elapsed(started) < SLACK  # refused at once, not read until the deadline
    assert not isinstance(problem, bytes) and "not a regular file" in problem.message


def test_the_deadline_transport_cuts_a_trickling_reply_in_plain_httpx(httpserver) -> None:
    from app.models.deadline import DeadlineTransport

    double = LoopbackOllama(httpserver, [Reply.trickle("x" * 80, every_s=0.2)])
    with httpx.Client(transport=DeadlineTransport(httpx.HTTPTransport(), 0.5), timeout=1.0) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout, match=r"took longer than 0\.5 s in all"):
            client.post(double.url + "/api/chat", json={"model": "qwen2.5:3b", "messages": [{"role": "user", "content": "q"}]})
        assert elapsed(started) < 1.5


def test_a_stalled_api_show_is_an_unknown_model_within_its_timeout(tmp_path: Path) -> None:
    with stalled_server() as host:
        factory = ModelFactory(settings(tmp_path, host), engine=ScriptedEngine())
        started = time.monotonic()
        info = factory.describe("ollama", "qwen2.5:3b", timeout=0.5)
        assert elapsed(started) < 0.5 + SLACK
        assert info.error and "Timeout" in info.error and info.context_length is None


CHAT = {"model": "qwen2.5:3b", "messages": [{"role": "user", "content": "q"}]}


def test_headers_that_trickle_are_cut_at_the_total_deadline() -> None:
    """httpx reads the status line and headers before any body chunk: only the wire (wire_transport) can end them.
    Each byte comes within the 1 s per-read timeout, so without the wire bound this request never ends."""
    from app.models.deadline import DeadlineTransport, wire_transport

    with (
        header_trickling_server() as host,
        httpx.Client(transport=DeadlineTransport(wire_transport(), 0.6), timeout=1.0) as client,
    ):
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout, match=r"took longer than 0\.6 s in all"):
            client.post(host + "/api/chat", json=CHAT)
        assert elapsed(started) < 0.6 + SLACK


def test_async_headers_that_trickle_are_cut_at_the_total_deadline() -> None:
    from app.models.deadline import AsyncDeadlineTransport

    async def call(host: str) -> None:
        transport = AsyncDeadlineTransport(httpx.AsyncHTTPTransport(), 0.6)
        async with httpx.AsyncClient(transport=transport, timeout=1.0) as client:
            await client.post(host + "/api/chat", json=CHAT)

    with header_trickling_server() as host:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout, match=r"took longer than 0\.6 s in all"):
            asyncio.run(call(host))
        assert elapsed(started) < 0.6 + SLACK


def test_a_probe_of_a_server_that_trickles_its_headers_ends_within_its_timeout() -> None:
    with header_trickling_server() as host:
        started = time.monotonic()
        probe = probe_ollama(host, "qwen2.5:3b", timeout=0.5)
        assert elapsed(started) < 0.5 + SLACK
        assert not probe.reachable and "took longer than 0.5 s" in (probe.error or "")


def test_trickling_headers_fall_back_within_the_questions_budget(tmp_path: Path) -> None:
    """The model load and the call each meet a server that never finishes its headers; the question still ends
    within its budget, on a fallback rung (the trickle spends the budget, so the extractive rung may be the one)."""
    with header_trickling_server() as host:
        s = settings(tmp_path, host, latency_budget=3.0, load_timeout=1.0)
        engine = ScriptedEngine([Gen.json_answer(GOOD)])
        svc = GuardedRAG(s, embeddings=BagOfWordsEmbeddings(), factory=ModelFactory(s, engine=engine), reraise_bugs=True)
        svc.ingest()
        svc.backend()  # the backend probe (its own 1.5 s bound) is not what is timed here
        started = time.monotonic()
        r = svc.ask(Q)
        assert elapsed(started) < s.load_timeout + s.latency_budget + SLACK  # the load's own 1 s comes before the budget
        assert r.status == "fallback" and r.rung in {"embedded", "extractive", "cannot_answer"}
        assert any(e.name == "model_call" and e.outcome == "error" and "in all" in e.reason for e in r.events)


def test_a_model_call_ends_when_the_questions_budget_does_not_at_the_transports_total(httpserver) -> None:
    """The transport's own total is the whole budget; a call that starts with less of it left ends sooner."""
    from app.models.deadline import DeadlineTransport, wire_transport
    from chains.circuit import Budget, model_call_limit

    double = LoopbackOllama(httpserver, [Reply.trickle("x" * 200, every_s=0.1)])
    budget = Budget.start(0.7)
    with httpx.Client(transport=DeadlineTransport(wire_transport(), 30.0), timeout=1.0) as client, model_call_limit(budget):
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.post(double.url + "/api/chat", json=CHAT)
        assert elapsed(started) < 2.0


def test_a_caller_that_went_away_stops_the_reply_being_read(httpserver) -> None:
    from app.models.deadline import DeadlineTransport, wire_transport
    from chains.circuit import Budget, model_call_limit
    from chains.errors import Cancelled

    gone = threading.Event()
    double = LoopbackOllama(httpserver, [Reply.trickle("x" * 200, every_s=0.1)])
    budget = Budget.start(30.0, cancelled=gone.is_set)
    threading.Timer(0.4, gone.set).start()
    with httpx.Client(transport=DeadlineTransport(wire_transport(), 30.0), timeout=1.0) as client, model_call_limit(budget):
        started = time.monotonic()
        with pytest.raises(Cancelled), client.stream("POST", double.url + "/api/chat", json=CHAT) as response:
            for _ in response.iter_bytes():
                pass
        assert elapsed(started) < 2.0
