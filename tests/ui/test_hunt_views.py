"""Bugs found by a UI bug hunt (AppTest): each test fails without its fix in views/ (except the one marked as the
guard that the trace-link fix does not override a choice made on the page)."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from app import BackendChoice, Settings
from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT


def two_pages(page: str) -> None:
    """The page the session's `hunt_page` names (default `page`), through the app's sidebar and error boundary:
    a page switch within one session (AppTest cannot switch between the app's callable pages)."""
    import importlib

    import streamlit as st

    import streamlit_app

    streamlit_app.sidebar()
    shown = st.session_state.get("hunt_page", page)
    if shown == "elsewhere":
        st.write("another page")
    else:
        streamlit_app.guarded(importlib.import_module(f"views.{shown}").render)()


def session_app(svc: Any, page: str) -> AppTest:
    at = AppTest.from_function(two_pages, args=(page,), default_timeout=TIMEOUT)
    at.session_state["service"] = svc
    return at


def test_a_trace_link_followed_again_after_another_page_opens_that_trace(make_app):
    _, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD, GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    first = svc.traces.list()[0].trace_id
    at = session_app(svc, "traces")
    at.query_params["trace"] = first
    at.run(timeout=TIMEOUT)
    assert at.selectbox(key="tr_detail").value == first
    # Back to the chat, another question, then the first answer's trace link again.
    at.session_state["hunt_page"] = "elsewhere"
    at.query_params.clear()
    at.run(timeout=TIMEOUT)
    svc.ask("Which port does Ollama listen on by default?")
    assert svc.traces.list()[0].trace_id != first
    at.session_state["hunt_page"] = "traces"
    at.query_params["trace"] = first
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert at.selectbox(key="tr_detail").value == first


def test_a_trace_chosen_on_the_page_stays_chosen_while_the_link_is_in_the_url(make_app):
    # The guard for the fix above: re-selecting the linked trace on every run would pass that test and break this.
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD, GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    svc.ask("Which port does Ollama listen on by default?")
    linked, other = (r.trace_id for r in svc.traces.list())
    at.query_params["trace"] = linked
    at.run(timeout=TIMEOUT)
    assert at.selectbox(key="tr_detail").value == linked
    at.selectbox(key="tr_detail").set_value(other)
    at.run(timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    assert at.selectbox(key="tr_detail").value == other


def by_setting(settings: Settings) -> BackendChoice:
    """A backend chooser that follows the settings: Ollama and its model when asked for, else the embedded one."""
    if settings.backend == "ollama":
        return BackendChoice(kind="ollama", model=settings.model, host=settings.ollama_host, reason="test: asked for")
    return BackendChoice(kind="embedded", model=EMBEDDED, host=settings.ollama_host, reason="test: embedded backend")


def test_the_chat_banner_names_the_backend_and_model_this_sessions_settings_chose(make_app):
    _, svc, _ = make_app("settings", choose=by_setting, run=False)
    at = session_app(svc, "settings")
    at.run(timeout=TIMEOUT)
    at.selectbox(key="s-0-backend").set_value("ollama")
    next(b for b in at.button if b.label == "Apply to this session").click()
    at.run(timeout=TIMEOUT)
    assert at.session_state["ask_options"].settings == {"backend": "ollama"}
    at.session_state["hunt_page"] = "chat"
    at.run(timeout=TIMEOUT)
    assert not at.exception
    banner = " ".join(i.value for i in at.info)
    assert "Ollama" in banner and "qwen2\\.5\\:3b" in banner, banner
    assert "embedded" not in banner


def test_the_default_sweep_of_a_whole_number_parameter_spans_values_around_the_current_one(make_app, monkeypatch):
    from views import what_if

    swept: list[list[float]] = []
    monkeypatch.setattr(what_if, "sweep", lambda cases, policy, g, p, values, target: swept.append(list(values)))
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")  # the lab shows once there are traces
    at.run(timeout=TIMEOUT)
    param = "degenerate_output.min_repeats"  # a whole number, 4 by default (3 to 10)
    at.selectbox(key="sw_param").set_value(param)
    at.run(timeout=TIMEOUT)
    next(b for b in at.button if b.label == "Sweep").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    (values,) = swept
    whole = sorted({int(v) for v in values})  # the sweep casts each value to the parameter's type
    assert 4 in whole and len(whole) > 1, values
    assert all(v == int(v) for v in values), values  # no fraction of a repeat the sweep would round away


def test_a_delete_left_unconfirmed_is_not_asked_again_after_another_page(make_app):
    _, svc, _ = make_app("documents", run=False)
    at = session_app(svc, "documents")
    at.run(timeout=TIMEOUT)
    first = at.selectbox(key="doc_pick").value  # the document picked when the page opens
    next(b for b in at.button if b.label == "Delete").click()
    at.run(timeout=TIMEOUT)
    assert any(b.label == "Confirm delete" for b in at.button)
    at.session_state["hunt_page"] = "elsewhere"  # neither Confirm nor Cancel: the user went to another page
    at.run(timeout=TIMEOUT)
    at.session_state["hunt_page"] = "documents"
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert at.selectbox(key="doc_pick").value == first
    assert not any(b.label == "Confirm delete" for b in at.button)  # no delete question nobody asked for now
    assert first in {d.source for d in svc.documents()}


def test_the_jsonl_export_keeps_the_timeline_of_every_trace_past_the_chart_limit(make_app, monkeypatch):
    import json

    from streamlit.delta_generator import DeltaGenerator

    from views import traces

    monkeypatch.setattr(traces, "EVENT_LIMIT", 1)  # 200 in the app: the export covers up to 500 traces
    offered: dict[str, Any] = {}
    real = DeltaGenerator.download_button

    def spy(self: DeltaGenerator, label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        offered[label] = data
        return real(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD, GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    svc.ask("Is this plan reasonable?")
    at.run(timeout=TIMEOUT)
    assert not at.exception
    next(b for b in at.button if b.label == "Export JSONL").click()  # reads the traces, then offers the file
    at.run(timeout=TIMEOUT)
    assert not at.exception
    lines = [json.loads(line) for line in str(offered["Download traces.jsonl"]).splitlines()]
    assert len(lines) == 2
    assert all(line["events"] for line in lines), [len(line["events"]) for line in lines]


def test_a_link_to_a_trace_the_store_does_not_have_says_so(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    at.query_params["trace"] = "0123456789abcdef"  # a trace this store never saved (another server's, a failed save)
    at.run(timeout=TIMEOUT)
    assert not at.exception
    said = " ".join(w.value for w in at.warning)
    assert "0123456789abcdef not found" in said, said  # not only the newest trace's detail, as if it were the one
    at.run(timeout=TIMEOUT)
    assert "0123456789abcdef not found" in " ".join(w.value for w in at.warning)
