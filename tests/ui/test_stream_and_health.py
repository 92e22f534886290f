"""The chat's provisional answer while the model streams (decoded once, redrawn at most once per interval) and
the Documents page's index health banner (no server path)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.documents.integrity import REPAIR, IndexIntegrity
from tests.ui.conftest import TIMEOUT
from views import chat
from views.text import AnswerStream


class Slot:
    """Stands in for st.empty() / st.status(): records what is drawn into it."""

    def __init__(self) -> None:
        self.drawn: list[str] = []

    def markdown(self, body: str) -> None:
        self.drawn.append(body)

    def caption(self, body: str) -> None:
        self.drawn.append(body)

    def update(self, **_: Any) -> None:
        pass

    def empty(self) -> None:
        pass


class Event:
    def __init__(self, step: str, name: str, outcome: str = "ok") -> None:
        self.step, self.name, self.outcome = step, name, outcome
        self.duration_ms, self.reason, self.details = 0.0, "", {}


def tokens(answer: str, size: int = 4) -> list[str]:
    reply = json.dumps({"answer": answer, "citations": ["S1"]}, ensure_ascii=False)
    return [reply[i : i + size] for i in range(0, len(reply), size)]


def test_a_long_streamed_answer_is_not_redrawn_for_every_token(monkeypatch):
    # Before: every token re-decoded the whole reply and sent the whole text again (an 8,192-token answer: 36 s of
    # CPU in the model's token loop and hundreds of MB to the browser). 2,000 tokens arrive within milliseconds here.
    provisional, status = Slot(), Slot()
    monkeypatch.setattr(chat.st, "empty", lambda: provisional)
    monkeypatch.setattr(chat.st, "status", lambda *_a, **_k: status)
    live = chat.LiveProgress()
    answer = "Ollama listens on port 11434 by default. " * 200
    stream = tokens(answer)
    assert len(stream) > 2000
    for token in stream:
        live.token(token)
    live.observe(Event("generation", "model_call"))  # the call ended: its last tokens are shown
    assert 1 <= len(provisional.drawn) <= 10, len(provisional.drawn)
    assert provisional.drawn[-1].replace("\\", "").endswith(answer.strip())


def test_the_provisional_answer_is_redrawn_once_per_interval_and_after_each_call():
    provisional, status, now = Slot(), Slot(), [0.0]

    def clock() -> float:
        now[0] += 0.001  # a token a millisecond
        return now[0]

    live = chat.LiveProgress(status=status, provisional=provisional, clock=clock, interval=0.1)
    for token in tokens("word " * 800):  # about a second of tokens
        live.token(token)
    assert 8 <= len(provisional.drawn) <= 12, len(provisional.drawn)
    live.observe(Event("generation", "reask", "reask"))
    assert provisional.drawn[-1].count("word") == 800  # the held-back tail is drawn, then a fresh stream starts
    drawn = len(provisional.drawn)
    live.token('{"answer": "Second')
    assert len(provisional.drawn) == drawn + 1 and provisional.drawn[-1].endswith("Second")


@pytest.mark.parametrize(
    "answer",
    ["plain", 'quote " and backslash \\ and \n newline', "端口 11434 \u00e9\u202e", "tab\tand \\u escapes \u2028"],
)
def test_answer_stream_decodes_any_split_of_the_reply(answer):
    reply = json.dumps({"answer": answer, "citations": []}, ensure_ascii=answer.startswith("tab"))
    rng = random.Random(answer)
    for _ in range(20):
        stream, i = AnswerStream(), 0
        while i < len(reply):
            step = rng.randint(1, 7)
            stream.feed(reply[i : i + step])
            i += step
            assert stream.text is None or answer.startswith(stream.text)  # never a half escape, never a wrong char
        assert stream.text == answer


def test_the_index_health_banner_never_shows_a_server_path(make_app, monkeypatch):
    at, svc, _ = make_app("documents", run=False)
    home = svc.settings.home.resolve().as_posix()
    broken = IndexIntegrity(
        ok=False,
        problems=(f"reading the index failed (PermissionError: [Errno 13] Permission denied: '{home}/index/chroma.sqlite3')",),
        fix=REPAIR,
    )
    monkeypatch.setattr(svc, "index_integrity", lambda **_: broken)
    at.run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error).replace("\\", "")
    assert "Permission denied" in shown and "<home>/index" in shown and home not in shown, shown
    assert f"`{REPAIR}`" in shown  # the repair command stays a code span


class Spinners:
    """Replaces st.spinner: records which long steps ran while a spinner was showing."""

    def __init__(self) -> None:
        self.active: list[str] = []
        self.ran: list[tuple[str, bool]] = []

    @contextmanager
    def spinner(self, text: str = "", **_: Any) -> Iterator[None]:
        self.active.append(text)
        try:
            yield
        finally:
            self.active.pop()

    def watch(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            self.ran.append((name, bool(self.active)))
            return real(*args, **kwargs)

        return run


def test_a_replay_and_a_sweep_show_a_spinner_while_they_work(make_app, monkeypatch):
    import streamlit

    from app import decisions_of, make_label
    from tests.ui.test_policy_lab import BENIGN_REFUSED, seeded
    from views import what_if

    at, svc = seeded(make_app)
    refused = next(r for r in svc.traces.list() if r.question == BENIGN_REFUSED)
    record = svc.traces.get(refused.trace_id)
    relevance = next(d for d in decisions_of(record) if d.target == "relevance")
    assert svc.traces.label(record.trace_id, make_label(record, "relevance", correct=False, attempt=relevance.attempt))
    spinners = Spinners()
    monkeypatch.setattr(streamlit, "spinner", spinners.spinner)
    monkeypatch.setattr(what_if, "replay_traces", spinners.watch("replay", what_if.replay_traces))
    monkeypatch.setattr(what_if, "sweep", spinners.watch("sweep", what_if.sweep))
    next(b for b in at.button if b.label == "Replay under this policy").click()
    at.run(timeout=TIMEOUT)
    next(b for b in at.button if b.label == "Sweep").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert spinners.ran == [("replay", True), ("sweep", True)]
    assert "Replayed" in [m.label for m in at.metric]


def test_a_page_error_names_no_server_folder(make_app, monkeypatch):
    at, svc, _ = make_app("documents", run=False)
    home = svc.settings.home.resolve().as_posix()
    padding = "x" * 200  # the path runs past the 300-character cut: hidden first, then cut (not half shown)

    def unreadable() -> None:
        raise PermissionError(f"{padding} [Errno 13] Permission denied: '{home}/uploads/notes.md'")

    monkeypatch.setattr(svc, "documents", unreadable)
    at.run(timeout=TIMEOUT)
    assert not at.exception
    shown = " ".join(e.value for e in at.error).replace("\\", "")
    assert "This page hit a problem" in shown and "PermissionError" in shown
    assert home[:12] not in shown and "uploads/notes.md" in shown, shown


def test_a_failed_experiment_names_no_server_folder(make_app, monkeypatch):
    from views import experiments

    at, svc, _ = make_app("experiments")
    home = svc.settings.home.resolve().as_posix()

    def fails(*_args: Any, **_kwargs: Any) -> None:
        raise FileNotFoundError(f"no model file at {home}/models/smollm2.gguf")

    monkeypatch.setattr(experiments, "run_experiment", fails)
    at.button(key="lab_run_latency").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    shown = " ".join(e.value for e in at.error).replace("\\", "")
    assert "no model file at <home>/models" in shown and home not in shown, shown
