"""Stop in the UI ends the model call too: the view hands svc.ask a `cancelled` that reads Streamlit's pending
STOP/RERUN request (views/stopping.py reads a private field: these tests pin it against the installed Streamlit)."""

from __future__ import annotations

from typing import Any

from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT
from tests.ui.test_chat import ask
from views.stopping import stop_check


def test_a_pending_stop_or_rerun_reads_as_stopping() -> None:
    requests = ScriptRequests()
    stopping = stop_check(requests)
    assert not stopping()
    requests.request_stop()
    assert stopping()
    rerun = ScriptRequests()
    assert stop_check(rerun)() is False
    assert rerun.request_rerun(RerunData())
    assert stop_check(rerun)()  # another question, another page: this run ends at its next UI call


def test_outside_a_run_or_on_an_unknown_streamlit_it_never_stops() -> None:
    assert stop_check()() is False  # no script run here
    assert stop_check(object())() is False  # a Streamlit without the field: the behaviour before, not a crash


def test_a_question_withdrawn_while_the_model_works_is_marked_interrupted_and_calls_no_model(make_app, monkeypatch):
    at, svc, factory = make_app(scripts={EMBEDDED: [GOOD]})
    seen: list[Any] = []
    real = svc.ask

    def spy(question: str, **kwargs: Any) -> Any:
        seen.append(kwargs.get("cancelled"))
        return real(question, **kwargs)

    monkeypatch.setattr(svc, "ask", spy)
    monkeypatch.setattr("views.chat.stop_check", lambda: lambda: True)  # Stop pressed as the question started
    ask(at, "Which port does Ollama listen on?")
    assert not at.exception
    assert callable(seen[0]) and seen[0]() is True  # the view handed its stop check to the service
    messages = at.session_state["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] and messages[1]["interrupted"]
    [record] = svc.traces.list()
    events = [e.name for e in svc.traces.get(record.trace_id).events]
    assert "caller_gone" in events  # traced as withdrawn
    model = factory.models.get(EMBEDDED)
    assert model is None or model.script == [GOOD]  # no model call was made for a question nobody waits for
    at.run(timeout=TIMEOUT)
    assert any("was not answered" in w.value for w in at.warning)
