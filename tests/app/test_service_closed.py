"""A closed GuardedRAG: what close() released (the trace writer, the models) is not used half-way afterwards
(a trace written on the caller's thread, a model loaded again that nothing frees): it raises ServiceClosedError
naming the call. Reading the index still works; closing twice is harmless; a request under way finishes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import GuardedRAG, ServiceClosedError
from tests.fake_service import make_service

MODEL = "smollm2:135m"
GOOD = '{"answer": "Ollama listens on port 11434.", "citations": ["S1"]}'
QUESTION = "What port does Ollama listen on?"


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda svc: svc.ask(QUESTION), "ask()"),
        (lambda svc: svc.raw_answer(QUESTION), "raw_answer()"),
        (lambda svc: svc.chat_model(), "chat_model()"),
        (lambda svc: svc.fresh_chat_model(), "fresh_chat_model()"),
        (lambda svc: svc.preload(), "preload()"),
        (lambda svc: svc.derive(top_k=2), "derive()"),
    ],
)
def test_use_after_close_raises_a_clear_error_and_does_nothing(tmp_path: Path, call, name: str) -> None:
    svc, factory = make_service(tmp_path, scripts={MODEL: [GOOD]})
    svc.close()
    with pytest.raises(ServiceClosedError, match=re.escape(f"{name} on a closed GuardedRAG")):
        call(svc)
    assert svc.traces.count() == 0  # no trace written on the caller's thread
    assert not factory.models and not factory.preloads and not factory.formats  # no model asked for


def test_closing_twice_is_harmless_and_the_index_still_reads(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    assert not svc.closed
    svc.close()
    svc.close()
    assert svc.closed and svc.documents() and svc.search(QUESTION)


def test_a_request_under_way_when_the_service_closes_finishes_and_keeps_its_trace(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path, scripts={MODEL: [GOOD]})
    closed: list[bool] = []

    def close_once(event: object) -> None:  # the shutdown lands while the request runs
        if not closed:
            closed.append(True)
            svc.close()

    response = svc.ask(QUESTION, observer=close_once)
    assert closed and response.status == "answered"
    assert svc.traces.get(response.trace_id) is not None


def test_a_service_used_as_a_context_manager_is_closed_after_it(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    with svc as same:
        assert isinstance(same, GuardedRAG)
    with pytest.raises(ServiceClosedError):
        svc.ask(QUESTION)
