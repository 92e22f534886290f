"""Found by exploratory testing of `guarded-rag serve`: what happens to questions that outlast the drain time on
SIGTERM, and to questions whose clients gave up while they waited in the queue."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app import ServerThread, create_app
from tests.app.serve.conftest import GOOD, MODEL, GatedModel, Q, wait_for
from tests.fake_service import make_service


def ask(content: str, **extra: object) -> dict[str, object]:
    return {"model": "guarded-rag", "messages": [{"role": "user", "content": content}], **extra}


class Gated:
    """A served app whose one model call waits at a gate (1 slot, a queue of 4), on a ServerThread with a short
    drain time."""

    def __init__(self, tmp_path: Path, *, drain: float, grace: float) -> None:
        self.model = GatedModel(script=[GOOD] * 20, model=MODEL)
        self.svc, factory = make_service(tmp_path, keepalive=0.05, max_inflight=1, max_queue=4)
        factory.models[MODEL] = self.model
        self.app = create_app(self.svc, warm=False)
        self.server = ServerThread(self.app, graceful_s=drain, grace_s=grace).__enter__()
        self.url = self.server.url
        self.got: dict[str, tuple[int, str]] = {}
        self._threads: list[threading.Thread] = []

    def send(self, name: str, path: str, body: dict[str, object]) -> None:
        def run() -> None:
            try:
                r = httpx.post(self.url + path, json=body, timeout=60)
                self.got[name] = (r.status_code, r.text)
            except httpx.HTTPError as exc:  # a cut connection: what the fix prevents
                self.got[name] = (0, f"{type(exc).__name__}: {exc}")

        thread = threading.Thread(target=run)
        thread.start()
        self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(60)

    @property
    def runner(self):  # type: ignore[no-untyped-def]
        return self.app.state.served.runner


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[type[Gated]]:
    made: list[Gated] = []

    def make(**kw: float) -> Gated:
        g = Gated(tmp_path / f"g{len(made)}", **kw)
        made.append(g)
        return g

    yield make  # type: ignore[misc]
    for g in made:
        g.model.gate.set()
        g.server.stop()


def _start_three(g: Gated) -> None:
    """One streamed Ollama question in the model call, a plain one and a streamed OpenAI one queued behind it."""
    g.send("ollama_stream", "/api/chat", ask(Q))
    assert g.model.entered.wait(10)
    g.send("ollama_plain", "/api/chat", ask("How do I change the port Ollama listens on?", stream=False))
    g.send("openai_stream", "/v1/chat/completions", ask("Where does Ollama keep its models?", stream=True))
    wait_for(lambda: g.runner.pending == 3)


def test_questions_that_outlast_the_drain_are_withdrawn_answered_and_traced(gated):
    """Was: uvicorn waited the drain time and then cancelled the connections. The streams were cut (no final
    chunk, no `[DONE]`, curl exit 18), the plain reply was a bare "Internal Server Error" with a traceback in the
    log, and none of the questions left a trace. Now they are withdrawn after the drain time: the one in the model
    call ends with it, the queued ones answer from the documents without a model, every client gets a complete
    reply in its protocol and every question is traced."""
    g = gated(drain=0.2, grace=20)
    _start_three(g)
    stopper = threading.Thread(target=g.server.stop)
    stopper.start()  # SIGTERM's equivalent
    wait_for(lambda: g.runner.stopping)
    threading.Timer(1.0, g.model.gate.set).start()  # the model call under way ends well after the drain time
    g.join()
    stopper.join(60)
    status, text = g.got["ollama_stream"]
    lines = [json.loads(line) for line in text.splitlines()]
    assert status == 200 and lines[-1]["done"] is True and "error" not in lines[-1]
    status, text = g.got["ollama_plain"]
    assert status == 200 and json.loads(text)["answer_status"] == "fallback"
    status, text = g.got["openai_stream"]
    assert status == 200 and text.rstrip().endswith("data: [DONE]") and '"finish_reason": "stop"' in text
    assert len(g.model.calls) == 1  # the queued questions started no model call
    records = g.svc.traces.list()
    assert len(records) == 3 and "error" not in {r.status for r in records}


def test_replies_still_waiting_after_the_grace_end_in_their_protocols_error_shape(gated):
    """A model call that outlasts the drain time and the grace: the replies end with a "shutting down" error
    (Ollama's error line, OpenAI's error event then `[DONE]`, a 503 for a plain reply), never a cut connection."""
    g = gated(drain=0.2, grace=0.5)
    _start_three(g)
    stopper = threading.Thread(target=g.server.stop)
    stopper.start()
    g.join()
    g.model.gate.set()
    stopper.join(60)
    status, text = g.got["ollama_stream"]
    last = json.loads(text.splitlines()[-1])
    assert status == 200 and last["done"] is True and "shutting down" in last["error"] and last["trace_id"]
    status, text = g.got["ollama_plain"]
    assert status == 503 and "shutting down" in json.loads(text)["error"]
    status, text = g.got["openai_stream"]
    events = [e for e in text.split("\n\n") if e.startswith("data: ")]
    assert status == 200 and events[-1] == "data: [DONE]"
    assert "shutting down" in json.loads(events[-2].removeprefix("data: "))["error"]["message"]


def test_a_question_withdrawn_while_queued_frees_its_place_in_the_queue(gated):
    """Was: a client that gave up while its question waited for a slot kept that place until the question ahead
    finished, so three Stop clicks in a chat front end filled a queue of three and the next users got 503."""
    g = gated(drain=5, grace=5)
    g.send("first", "/api/chat", ask(Q, stream=False))
    assert g.model.entered.wait(10)
    for i in range(4):  # fill the queue of 4, each client leaving once its stream has started
        with httpx.stream("POST", g.url + "/api/chat", json=ask(f"Where does Ollama keep its models? {i}"), timeout=30) as r:
            assert r.status_code == 200
            next(r.iter_lines())  # a keep-alive: the question is queued
    metrics = g.app.state.served.metrics.registry
    wait_for(lambda: metrics.get_sample_value("guarded_rag_client_disconnects_total") == 4)
    assert metrics.get_sample_value("guarded_rag_queued") == 0
    for i in range(4):  # a full queue again, of clients still waiting
        g.send(f"next{i}", "/api/chat", ask(f"How do I change the port Ollama listens on? {i}", stream=False))
    wait_for(lambda: g.runner.pending == 5)
    g.model.gate.set()
    g.join()
    assert all(g.got[f"next{i}"][0] == 200 for i in range(4)), g.got
    wait_for(lambda: g.svc.traces.count() == 9)  # the withdrawn questions left their traces too
