"""Traces page: the store-wide list, filters, charts, detail timeline and exports."""

from __future__ import annotations

from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT, texts


def seeded(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    svc.ask("Is this plan reasonable?")
    svc.ask("What is the best pizza recipe in Naples?")
    at.run(timeout=TIMEOUT)
    return at, svc


def test_lists_all_traces_with_charts_and_exports(make_app):
    at, _ = seeded(make_app)
    assert not at.exception
    assert "Store-wide view" in texts(at)
    table = at.dataframe[0].value
    assert sorted(table["status"]) == ["answered", "clarify", "refused"]
    assert len(at.get("vega_lite_chart")) >= 3
    assert [b.label for b in at.get("download_button")] == ["Export CSV"]
    assert "Export JSONL" in [b.label for b in at.button]  # reads the traces on a click, then offers the file
    assert len(at.dataframe) == 2  # the table and the newest trace's timeline


def test_detail_shows_the_timeline_with_model_output(make_app):
    at, svc = seeded(make_app)
    answered = next(r for r in svc.traces.list() if r.status == "answered")
    at.selectbox(key="tr_detail").set_value(answered.trace_id)
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert "Raw output" in [tab.label for tab in at.tabs]
    assert any("11434" in c.value for c in at.code)


def test_trace_link_query_param_opens_that_trace(make_app):
    at, svc = seeded(make_app)
    answered = next(r for r in svc.traces.list() if r.status == "answered")
    at.query_params["trace"] = answered.trace_id
    at.run(timeout=TIMEOUT)
    assert at.selectbox(key="tr_detail").value == answered.trace_id


def test_filter_by_status_and_text(make_app):
    at, _ = seeded(make_app)
    at.selectbox(key="tr_status").set_value("refused")
    at.run(timeout=TIMEOUT)
    assert list(at.dataframe[0].value["status"]) == ["refused"]
    at.selectbox(key="tr_status").set_value("")
    at.text_input(key="tr_text").set_value("port")
    at.run(timeout=TIMEOUT)
    assert list(at.dataframe[0].value["status"]) == ["answered"]


def test_filter_by_guardrail_and_detail(make_app):
    at, _svc = seeded(make_app)
    at.selectbox(key="tr_guard").set_value("completeness")
    at.run(timeout=TIMEOUT)
    assert list(at.dataframe[0].value["status"]) == ["clarify"]
    assert "Trace detail" in texts(at)


def test_only_this_session(make_app):
    at, _ = seeded(make_app)
    at.checkbox(key="tr_mine").check()
    at.run(timeout=TIMEOUT)
    assert "No traces match" in texts(at)
