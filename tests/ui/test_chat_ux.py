"""Defects a daily user met in the browser (exploratory run on the embedded model): a "fallback" with nothing quoted
and its reason hidden, a question that vanished when the page was left mid-answer, and an uploader that went on
listing files it had already indexed."""

from __future__ import annotations

from typing import Any

from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT, chosen, texts
from tests.ui.test_chat import ask
from tests.ui.test_documents_page import upload

NO_ANSWER = (
    "I can't give a reliable answer to this right now: the model did not produce a usable answer and no passage of "
    "your documents matches the question closely enough."
)


def stop_first_ask(svc: Any, monkeypatch: Any) -> list[str]:
    """svc.ask raises Streamlit's StopException on its first call (the run stopped mid-answer), then answers."""
    real, calls = svc.ask, []

    def stopped_once(question: str, **kwargs: Any) -> Any:
        calls.append(question)
        if len(calls) == 1:
            raise StopException()
        return real(question, **kwargs)

    monkeypatch.setattr(svc, "ask", stopped_once)
    return calls


def test_a_fallback_with_nothing_quoted_says_why_instead_of_announcing_quotes(make_app, monkeypatch):
    # The ladder's last rung ("cannot answer"): status fallback, no answer, the reason in `message`. The chat showed
    # "…so this was quoted from your documents" above nothing, and never the reason.
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    real = svc.ask

    def cannot_answer(question: str, **kwargs: Any):
        resp = real(question, **kwargs)
        return resp.model_copy(
            update={"status": "fallback", "answer": None, "citations": [], "rung": "cannot_answer", "message": NO_ANSWER}
        )

    monkeypatch.setattr(svc, "ask", cannot_answer)
    ask(at, "Which port does Ollama listen on?")
    assert not at.exception
    body = texts(at)
    assert "quoted from your documents" not in body
    assert any("reliable answer" in w.value for w in at.warning), [w.value for w in at.warning]
    assert "fallback" in body  # the status badge still says what happened


def test_a_fallback_that_quotes_passages_keeps_its_label(make_app):
    at, _, _ = make_app(scripts={EMBEDDED: ["I think it is probably some port, maybe."] * 6})
    ask(at, "Which port does Ollama listen on?")
    resp = at.session_state["messages"][-1]["response"]
    assert resp.status == "fallback" and resp.answer
    assert any(w.value.startswith("Fallback answer") for w in at.warning)


def test_a_question_cut_short_by_streamlit_stays_in_the_chat_with_ask_again(make_app, monkeypatch):
    # Opening another page, asking another question or reloading while an answer streams stops the run (Streamlit
    # raises a BaseException at the next UI call). The question used to vanish from the chat as if never asked.
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    stop_first_ask(svc, monkeypatch)
    ask(at, "Which port does Ollama listen on?")
    assert not at.exception
    messages = at.session_state["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == "Which port does Ollama listen on?" and messages[1]["response"] is None
    at.run(timeout=TIMEOUT)
    assert any("was not answered" in w.value for w in at.warning)
    [again] = [b for b in at.button if b.key and b.key.startswith("ask-again-")]
    again.click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    messages = at.session_state["messages"]
    assert messages[-2]["content"] == "Which port does Ollama listen on?"
    assert messages[-1]["response"].status == "answered"
    assert "11434" in texts(at)


def test_an_interrupted_turn_is_not_history(make_app, monkeypatch):
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    real, calls = svc.ask, []

    def stopped_once(question: str, **kwargs: Any):
        calls.append((question, tuple(kwargs.get("history", ()))))
        if len(calls) == 1:
            raise StopException()
        return real(question, **kwargs)

    monkeypatch.setattr(svc, "ask", stopped_once)
    ask(at, "Which port does Ollama listen on?")
    ask(at, "Where are models stored on Linux?")
    assert calls[-1] == ("Where are models stored on Linux?", ())


def test_after_an_upload_the_uploader_is_empty_again(make_app):
    # The uploader went on listing the indexed files; a file chosen in it next vanished on the rerun that swapped it.
    at, _, _ = make_app("documents")
    upload(at, ("note.md", b"# Note\n\nThe guarded-rag app keeps uploads under its home folder.", "text/markdown"))
    assert not at.exception
    assert any("1 added" in s.value for s in at.success)  # the report survives the rerun
    assert not at.file_uploader[0].value
    assert next(b for b in at.button if b.label == "Upload and index").disabled


def test_asking_the_interrupted_question_again_replaces_the_interrupted_turn(make_app, monkeypatch):
    # A double click on "Answer it as written": the second click stops the run the first one started, which then
    # asks the same question again; the chat shows it once.
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    stop_first_ask(svc, monkeypatch)
    ask(at, "Which port does Ollama listen on?")
    ask(at, "Which port does Ollama listen on?")
    messages = at.session_state["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] and messages[1]["response"].status == "answered"


def test_a_trace_link_shows_that_trace_before_the_table_charts_and_lab(make_app):
    # The chat's "Trace …" link opened the Traces page at its top; the trace was below the whole policy lab.
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    at.run(timeout=TIMEOUT)
    [record] = svc.traces.list()
    assert [s.value for s in at.subheader].index("Trace detail") > [s.value for s in at.subheader].index("Policy lab")
    at.query_params["trace"] = record.trace_id
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert at.subheader[0].value == "Trace detail" and at.selectbox(key="tr_detail").value == record.trace_id
    # and whatever the filters: a linked trace is shown even when they match nothing
    at.checkbox(key="tr_mine").check()
    at.run(timeout=TIMEOUT)
    assert "No traces match" in texts(at) and at.selectbox(key="tr_detail").value == record.trace_id


def fallback_as(monkeypatch, svc, **update: Any) -> None:
    real = svc.ask

    def patched(question: str, **kwargs: Any):
        return real(question, **kwargs).model_copy(update={"status": "fallback", **update})

    monkeypatch.setattr(svc, "ask", patched)


def test_a_later_models_fallback_answer_is_not_called_quoted(make_app, monkeypatch):
    # Ollama down, the embedded rung answered: the chat said "…so this was quoted from your documents" above what a
    # model wrote.
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    message = "Answered by the fallback rung 'embedded' (smollm2:135m)."
    fallback_as(monkeypatch, svc, rung="embedded", model="smollm2:135m", message=message)
    ask(at, "Which port does Ollama listen on?")
    assert not at.exception
    body = texts(at)
    assert "quoted from your documents" not in body
    assert any("smollm2\\:135m" in w.value and "next model" in w.value for w in at.warning)
    assert "fallback rung 'embedded'" in body.replace("\\", "")


def test_a_quoted_fallback_says_why_the_model_answer_was_not_used(make_app, monkeypatch):
    # A latency budget spent: the label blamed the checks ("did not pass the checks") though none fired.
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    message = "No model gave a usable answer within the question's latency budget (1 s); these are the passages …"
    fallback_as(monkeypatch, svc, rung="extractive", message=message)
    ask(at, "Which port does Ollama listen on?")
    body = texts(at)
    assert "did not pass the checks" not in body
    assert any(w.value.startswith("Fallback answer") and "quoted from your documents" in w.value for w in at.warning)
    assert "latency budget (1 s)" in body.replace("\\", "")


def test_an_answer_whose_drawing_is_cut_short_is_kept(make_app, monkeypatch):
    # The run can also stop after the answer came back, while it is drawn: the answer (and its trace) must not be lost.
    import views.chat

    at, _, _ = make_app(scripts={EMBEDDED: [GOOD]})
    real, drawn = views.chat.render_response, []

    def stopped_once(*args: Any, **kwargs: Any) -> None:
        drawn.append(1)
        if len(drawn) == 1:
            raise StopException()
        real(*args, **kwargs)

    monkeypatch.setattr(views.chat, "render_response", stopped_once)
    ask(at, "Which port does Ollama listen on?")
    messages = at.session_state["messages"]
    assert messages[-1]["response"] is not None and messages[-1]["response"].status == "answered"
    at.run(timeout=TIMEOUT)
    assert "11434" in texts(at)


def test_an_unreachable_ollama_is_not_announced_as_answering(make_app):
    # GUARDED_RAG_BACKEND=ollama (or the session's setting) with Ollama down: "Answering with Ollama model …".
    ollama_down = chosen(
        "ollama",
        "qwen2.5:3b",
        "backend=ollama: Ollama not reachable; requests will fail over to the fallback ladder",
        fix="start Ollama: `ollama serve`",
    )
    at, _, _ = make_app(choose=ollama_down)
    banner = " ".join(w.value for w in at.warning)
    assert "Answering with" not in banner and "cannot answer now" in banner and "ollama serve" in banner
