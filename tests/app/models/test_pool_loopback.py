"""A pool of three Ollama hosts over real HTTP on loopback (tests/ollama_double.py): one dead (a closed port), one
slow past the timeout, one good. Concurrent asks all get answers from the live host, the dead and the slow host are
skipped once their breakers open, and the distribution over hosts is printed (pytest -s shows it)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from app.contract import AskResponse
from app.models.factory import ModelFactory
from app.service import GuardedRAG
from app.settings import Settings
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.fake_service import write_docs
from tests.ollama_double import LoopbackOllama, Reply, ScriptedEngine, closed_port

Q = "Which port does Ollama listen on by default?"
GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}


def _server() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    return server


@pytest.fixture
def two_servers() -> Iterator[tuple[HTTPServer, HTTPServer]]:
    servers = (_server(), _server())
    yield servers
    for server in servers:
        server.clear()
        if server.is_running():
            server.stop()


def ask_wave(svc: GuardedRAG, n: int) -> list[AskResponse]:
    out: list[AskResponse] = []
    lock = threading.Lock()

    def one() -> None:
        r = svc.ask(Q)
        with lock:
            out.append(r)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def attempts(responses: list[AskResponse], host: str) -> int:
    return sum(1 for r in responses for e in r.events if e.name == "ollama_host" and e.details.get("host") == host)


def test_concurrent_asks_over_a_dead_a_slow_and_a_good_host(tmp_path: Path, two_servers: tuple[HTTPServer, HTTPServer]) -> None:
    slow = LoopbackOllama(two_servers[0], [Reply.slow(15.0, then=Reply.json_answer(GOOD))], cycle=True)
    good = LoopbackOllama(two_servers[1], [Reply.json_answer(GOOD)], cycle=True)
    dead = f"http://127.0.0.1:{closed_port()}"
    settings = Settings(
        home=tmp_path / "home",
        docs_dir=write_docs(tmp_path / "docs"),
        backend="ollama",
        ollama_hosts=(dead, slow.url, good.url),
        timeout=5.0,  # the slow host answers after 15 s: past it; the good one has room on a busy machine
        load_timeout=5.0,
        latency_budget=20.0,
        retries=1,
        breaker_failures=2,
        breaker_cooldown=600.0,  # no probe during the test: an open breaker stays open
    )
    factory = ModelFactory(settings, engine=ScriptedEngine([]))  # the embedded rung must never be needed
    svc = GuardedRAG(settings, embeddings=BagOfWordsEmbeddings(), factory=factory, reraise_bugs=True)
    svc.ingest()
    assert svc.backend().kind == "ollama" and "pool of 3 Ollama hosts, 2 with qwen2.5:3b" in svc.backend().reason

    first = ask_wave(svc, 8)
    states = {s.host: s.state for s in svc.ollama_hosts()}
    second = ask_wave(svc, 8) + ask_wave(svc, 8)
    everything = first + second

    assert [r.status for r in everything] == ["answered"] * 24, [r.message for r in everything if r.status != "answered"]
    assert {r.host for r in everything} == {good.url}  # every accepted reply came from the live host in time
    assert all(r.rung == "primary" for r in everything)  # no fallback: the pool retried inside one model call
    assert states[dead] == "open" and states[slow.url] == "open"
    assert attempts(first, dead) >= 1 and attempts(first, slow.url) >= 1  # both were tried, then their breakers opened
    assert attempts(second, dead) == 0 and attempts(second, slow.url) == 0  # skipped after that
    assert all(max(e.duration_ms for e in r.events) < 20_000 for r in everything)
    stored = svc.traces.get(first[0].trace_id)
    assert stored is not None and stored.result["host"] == good.url  # the trace and `ask --json` say it too
    assert any(e.name == "ollama_host" and e.outcome == "ok" for e in first[0].events)

    names = {dead: "dead", slow.url: "slow", good.url: "good"}
    tried = Counter(f"{names[e.details['host']]}:{e.outcome}" for r in everything for e in r.events if e.name == "ollama_host")
    answered = Counter(names[r.host or ""] for r in everything)
    print(
        f"\npool over 24 concurrent asks: accepted answers per host {dict(answered)}; host events {dict(sorted(tried.items()))}"
    )
    assert sum(answered.values()) == 24
    assert json.loads(first[0].model_dump_json())["host"] == good.url


def test_a_host_without_the_model_is_skipped_with_the_pull_hint(
    tmp_path: Path, two_servers: tuple[HTTPServer, HTTPServer]
) -> None:
    # What Ollama answers for a model it does not have: HTTP 404 {"error": "model '...' not found"}.
    bare = LoopbackOllama(two_servers[0], [Reply.status(404, "model 'qwen2.5:3b' not found")], models=("llama3:8b",), cycle=True)
    good = LoopbackOllama(two_servers[1], [Reply.json_answer(GOOD)], cycle=True)
    settings = Settings(
        home=tmp_path / "home",
        docs_dir=write_docs(tmp_path / "docs"),
        backend="ollama",
        ollama_host=f"{bare.url},{good.url}",  # OLLAMA_HOST with a comma is a pool too
        timeout=10.0,  # nothing here is slow: room for the good host on a busy machine
        latency_budget=20.0,
        retries=0,
        breaker_cooldown=600.0,
    )
    svc = GuardedRAG(
        settings, embeddings=BagOfWordsEmbeddings(), factory=ModelFactory(settings, engine=ScriptedEngine([])), reraise_bugs=True
    )
    svc.ingest()
    assert "1 with qwen2.5:3b" in svc.backend().reason and "ollama pull qwen2.5:3b" in svc.backend().reason
    answers = ask_wave(svc, 4) + ask_wave(svc, 4)
    assert [r.host for r in answers] == [good.url] * 8 and {r.status for r in answers} == {"answered"}
    hints = [e.reason for r in answers for e in r.events if e.name == "ollama_host" and e.outcome == "skipped"]
    assert hints and all(f"OLLAMA_HOST={bare.url} ollama pull qwen2.5:3b" in h for h in hints)
    chats = sum(1 for q in bare.requests if q.path == "/api/chat" and isinstance(q.body, dict) and q.body.get("messages"))
    assert chats <= 4  # at most the first concurrent wave found out; after the 404 the host is skipped for the model
    assert {s.host: s.state for s in svc.ollama_hosts()}[bare.url] == "no model"


def test_one_host_builds_no_pool(tmp_path: Path) -> None:
    from app.models.deadline import DeadlineTransport
    from app.models.pool_transport import PoolTransport
    from app.models.reply_shape import ReplyShapeTransport

    one = Settings(home=tmp_path, ollama_host="gpu1:11434")
    _, sync, _ = ModelFactory(one, engine=ScriptedEngine([])).transports("ollama")
    assert isinstance(sync, DeadlineTransport) and isinstance(sync.inner, ReplyShapeTransport)
    two = one.with_overrides(ollama_hosts="gpu1:11434,gpu2:11434")
    _, sync, _ = ModelFactory(two, engine=ScriptedEngine([])).transports("ollama")
    assert isinstance(sync, DeadlineTransport) and isinstance(sync.inner, PoolTransport)
