"""Bugs found by a UI bug hunt of the pages (AppTest): each test fails without its fix in views/."""

from __future__ import annotations

from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT, texts
from tests.ui.test_hunt_views import by_setting, session_app


def banner(at) -> str:
    return " ".join(str(e.value) for e in (*at.info, *at.warning))


def test_the_banner_names_the_new_backend_after_the_settings_change_mid_conversation(make_app):
    _, svc, _ = make_app("chat", scripts={EMBEDDED: [GOOD]}, choose=by_setting, run=False)
    at = session_app(svc, "chat")
    at.run(timeout=TIMEOUT)
    at.chat_input[0].set_value("Which port does Ollama listen on?").run(timeout=TIMEOUT)
    assert not at.exception
    assert "embedded" in banner(at)  # the answer came from the embedded model, and the banner says so
    at.session_state["hunt_page"] = "settings"
    at.run(timeout=TIMEOUT)
    at.selectbox(key="s-0-backend").set_value("ollama")
    next(b for b in at.button if b.label == "Apply to this session").click()
    at.run(timeout=TIMEOUT)
    assert at.session_state["ask_options"].settings == {"backend": "ollama"}
    at.session_state["hunt_page"] = "chat"
    at.run(timeout=TIMEOUT)
    assert not at.exception
    shown = banner(at)
    # The next question goes to Ollama: the banner said the embedded model answers (the last answer's backend).
    assert "Ollama" in shown and "qwen2\\.5\\:3b" in shown, shown
    assert "embedded" not in shown, shown


def test_the_banner_keeps_naming_who_answered_while_the_settings_stay(make_app):
    # The guard for the fix above: with the settings unchanged the last answer's backend is still what is shown.
    def ollama_down(settings):
        from app import BackendChoice

        return BackendChoice(kind="embedded", model=EMBEDDED, host=settings.ollama_host, reason="test: embedded backend")

    _, svc, _ = make_app("chat", scripts={EMBEDDED: [GOOD]}, choose=ollama_down, run=False)
    at = session_app(svc, "chat")
    at.run(timeout=TIMEOUT)
    at.chat_input[0].set_value("Which port does Ollama listen on?").run(timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    last = at.session_state["messages"][-1]["response"]
    assert last.backend_reason in banner(at).replace("\\", ""), banner(at)


def test_traces_past_the_newest_500_are_reached_page_by_page(make_app):
    import uuid
    from datetime import timedelta

    PAGE_SIZE = 500  # the page listed the newest 500 traces only (TraceFilter's limit): nothing past them

    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    svc.traces.flush()
    newest = svc.traces.get(svc.traces.list()[0].trace_id)
    older = [
        newest.model_copy(update={"trace_id": uuid.uuid4().hex, "created_at": newest.created_at - timedelta(minutes=i + 1)})
        for i in range(2 * PAGE_SIZE)
    ]
    for record in older:
        svc.traces.save(record)
    assert svc.traces.flush()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert len(at.dataframe[0].value) == PAGE_SIZE
    assert newest.trace_id in set(at.dataframe[0].value["trace_id"])
    at.number_input(key="tr_page").set_value(3)
    at.run(timeout=TIMEOUT)
    assert not at.exception
    shown = list(at.dataframe[0].value["trace_id"])
    assert shown == [r.trace_id for r in older[2 * PAGE_SIZE - 1 :]]  # the oldest trace, the one left for page 3
    assert "1001–1001" in texts(at)
    at.number_input(key="tr_page").set_value(2)
    at.run(timeout=TIMEOUT)
    assert list(at.dataframe[0].value["trace_id"]) == [r.trace_id for r in older[PAGE_SIZE - 1 : 2 * PAGE_SIZE - 1]]
    at.text_input(key="tr_text").set_value("port")  # another filter: from its first page again
    at.run(timeout=TIMEOUT)
    assert at.number_input(key="tr_page").value == 1
    assert newest.trace_id in set(at.dataframe[0].value["trace_id"])


def test_one_page_of_traces_shows_no_page_input(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert not [n for n in at.number_input if n.key == "tr_page"]
    assert "1 shown of 1 stored" in texts(at)


def test_the_labels_tab_does_not_reread_every_labelled_trace_on_each_click(make_app):
    from app import decisions_of, make_label

    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    record = svc.traces.get(svc.traces.list()[0].trace_id)
    decision = decisions_of(record)[0]
    svc.traces.label(record.trace_id, make_label(record, decision.target, correct=False, attempt=decision.attempt))
    reads: list[object] = []
    listed = svc.traces.list

    def counting(flt=None, *, full=False):
        if flt is not None and flt.labelled:
            reads.append(flt)
        return listed(flt, full=full)

    svc.traces.list = counting  # type: ignore[method-assign]
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert any("precision" in df.value.columns for df in at.dataframe)
    at.selectbox(key="tr_status").set_value("answered")  # clicks elsewhere on the page
    at.run(timeout=TIMEOUT)
    at.text_input(key="tr_text").set_value("port")
    at.run(timeout=TIMEOUT)
    assert not at.exception
    # Each run read every labelled trace in full (seconds with an eval run's thousands of labels): now once.
    assert len(reads) == 1, reads
    next(b for b in at.button if b.key == "lb_refresh").click()
    at.run(timeout=TIMEOUT)
    assert len(reads) == 2


def test_the_trace_filters_are_still_set_after_a_visit_to_another_page(make_app):
    _, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    svc.ask("Is this plan reasonable?")
    at = session_app(svc, "traces")
    at.run(timeout=TIMEOUT)
    at.selectbox(key="tr_status").set_value("clarify")
    at.text_input(key="tr_text").set_value("plan")
    at.run(timeout=TIMEOUT)
    assert list(at.dataframe[0].value["status"]) == ["clarify"]
    at.session_state["hunt_page"] = "elsewhere"  # the chat, say
    at.run(timeout=TIMEOUT)
    at.session_state["hunt_page"] = "traces"
    at.run(timeout=TIMEOUT)
    assert not at.exception
    # Streamlit forgot the values of the widgets the other page did not draw: every filter was reset.
    assert at.selectbox(key="tr_status").value == "clarify"
    assert at.text_input(key="tr_text").value == "plan"
    assert list(at.dataframe[0].value["status"]) == ["clarify"]
    at.selectbox(key="tr_status").set_value("")  # and a filter changed after the return is not put back
    at.run(timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    assert at.selectbox(key="tr_status").value == ""


def test_a_lab_link_to_a_trace_whose_id_has_url_characters_names_that_trace():
    from urllib.parse import parse_qs, urlsplit

    from views.lab_rows import link

    for trace_id in ("import#7&kind=eval", "run 1/a?b", "4b5ac8c1e0f2", "%41"):
        query = urlsplit(link(trace_id)).query  # as the browser reads the link the table cell holds
        assert parse_qs(query) == {"trace": [trace_id]}, link(trace_id)


def test_a_replay_keeps_no_full_trace_in_the_session(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    at.run(timeout=TIMEOUT)
    at.number_input(key="wi-0-relevance-min_hybrid").set_value(0.9)
    next(b for b in at.button if b.label == "Replay under this policy").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    flips = next(df.value for df in at.dataframe if "decision" in df.value.columns)
    assert list(flips["question"]) == ["Which port does Ollama listen on?"]  # the table still reads the question
    _, _, _, held = at.session_state["wi_result"]
    assert held, "the replay's traces"
    # Each was kept whole (every passage its guardrails saw) for the session's life: up to 5,000 of them.
    assert all(r.inputs is None and not r.events and not r.result for r in held.values())
