"""Chat page: answers with citations, clarifying questions, fallback label, hostile output escaped, chaos options."""

from __future__ import annotations

from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT, chosen, reply, texts
from views.text import safe_md


def ask(at, question: str):
    at.chat_input[0].set_value(question)
    return at.run(timeout=TIMEOUT)


def test_answer_with_citations_chips_and_timeline(make_app):
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    assert not at.exception
    ask(at, "Which port does Ollama listen on?")
    assert not at.exception
    body = texts(at)
    assert "Ollama listens on port 11434 by default\\." in body
    assert "answered" in body
    assert "checks passed" in body
    labels = [e.label for e in at.expander]
    assert any("ollama\\-port\\.md" in label for label in labels), labels
    assert any(label.startswith("Timeline") for label in labels)
    # the cited sentence is highlighted (bold) inside the escaped source snippet
    assert any("**Ollama listens on port 11434 by default\\.**" in m.value for m in at.markdown)
    msgs = at.session_state["messages"]
    assert msgs[-1]["response"].status == "answered"
    [record] = svc.traces.list()
    assert record.session == at.session_state["session_id"]


def test_clarifying_questions_are_shown_as_text_never_sent_as_the_users_question(make_app):
    # They ask the user for what is missing ('What does "it" refer to? Please name it…'): as buttons they were sent to
    # the model as if the user had asked them (a model call, a nonsense answer).
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    ask(at, "Is this plan reasonable?")
    resp = at.session_state["messages"][-1]["response"]
    assert resp.status == "clarify" and resp.clarifying_questions
    assert "needs clarification" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("clarify-")]
    assert len([b for b in at.button if b.key and b.key.startswith("as-written-")]) == 1  # the one action offered
    listed = next(m.value for m in at.markdown if m.value.startswith("- "))
    for question in resp.clarifying_questions:
        assert f"- {safe_md(question)}" in listed.splitlines()
    assert len(svc.traces.list()) == 1


def test_answer_as_written_asks_the_same_question_again_with_completeness_off(make_app):
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    ask(at, "Is this plan reasonable?")
    first = at.session_state["messages"][-1]["response"]
    assert first.status == "clarify"
    assert any(e.name == "completeness" and e.outcome == "fired" for e in first.events)
    [button] = [b for b in at.button if b.key and b.key.startswith("as-written-")]
    button.click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    messages = at.session_state["messages"]
    assert messages[-2] == {"role": "user", "content": "Is this plan reasonable?", "response": None}
    second = messages[-1]["response"]
    assert second.status != "clarify"
    assert not any(e.name == "completeness" for e in second.events)  # the guardrail did not run at all
    assert len(svc.traces.list()) == 2
    stored = svc.traces.get(second.trace_id)
    assert stored is not None and stored.inputs is not None and stored.inputs.policy is not None
    assert not stored.inputs.policy.is_enabled("completeness")  # the stored trace records that the check was off
    # the override is for that one question: the next typed question is checked again
    ask(at, "Is this plan reasonable?")
    assert any(e.name == "completeness" for e in at.session_state["messages"][-1]["response"].events)


def test_fallback_is_labelled(make_app):
    prose = "I think it is probably some port, maybe."
    at, _, _ = make_app(scripts={EMBEDDED: [prose] * 6})
    ask(at, "Which port does Ollama listen on?")
    resp = at.session_state["messages"][-1]["response"]
    assert resp.status == "fallback", resp
    body = texts(at)
    assert "Fallback answer" in body
    assert any(w.value.startswith("Fallback answer") for w in at.warning)


HOSTILE = "Ollama listens on port 11434 <script>alert(1)</script> ![x](http://evil/x.png) [click](javascript:alert(1))"


def test_hostile_answer_is_rendered_escaped(make_app):
    from app.contract import AskOptions

    at, _, _ = make_app(scripts={EMBEDDED: [reply(HOSTILE, "S1")]}, run=False)
    # the output checks that would re-ask it (its words and its planted link) are off: this is about rendering
    off = {"enabled": False}
    at.session_state["ask_options"] = AskOptions(guardrails={"grounding": off, "answer_injection": off})
    at.run(timeout=TIMEOUT)
    ask(at, "Which port does Ollama listen on?")
    resp = at.session_state["messages"][-1]["response"]
    assert resp.answer == HOSTILE
    shown = [m.value for m in at.markdown]
    assert any("\\<script\\>" in v for v in shown)
    for value in shown:
        assert "<script>" not in value
        assert "![x](" not in value and "[click](" not in value
        assert "](javascript" not in value


def test_error_shows_message_and_trace_link_not_traceback(make_app):
    # what a user sees when a bug surfaces: the service reports it as an error result (no test-mode re-raise)
    at, _, _ = make_app(scripts={EMBEDDED: [RuntimeError("boom")]}, reraise_bugs=False)
    ask(at, "Which port does Ollama listen on?")
    assert not at.exception
    resp = at.session_state["messages"][-1]["response"]
    assert resp.status == "error"
    assert any("error" in e.value.lower() for e in at.error)
    assert any(resp.trace_id[:12] in link.label for link in at.get("page_link")) or resp.trace_id[:12] in texts(at)


def test_follow_up_passes_history(make_app):
    at, _, factory = make_app(scripts={EMBEDDED: [GOOD, reply("Set OLLAMA_HOST to change the address it binds to.", "S1")]})
    ask(at, "Which port does Ollama listen on?")
    ask(at, "How do I change it?")
    model = factory.models[EMBEDDED]
    sent = " ".join(str(m.content) for m in model.calls[-1]["messages"])
    assert "11434" in sent  # the earlier answer travelled with the follow-up


def test_banner_shows_backend_and_fix(make_app):
    missing_model = chosen(
        "embedded", "smollm2:135m", "Ollama is running but qwen2.5:3b is not pulled", fix="run `ollama pull qwen2.5:3b`"
    )
    at, _, _ = make_app(choose=missing_model)
    banner = " ".join(w.value for w in at.warning)
    assert "embedded" in banner and "ollama pull qwen2\\.5\\:3b" in banner


def test_cold_start_notice_and_chaos_flag(make_app):
    from app.contract import AskOptions

    at, _, _ = make_app(scripts={EMBEDDED: [GOOD]}, run=False)
    at.session_state["ask_options"] = AskOptions(chaos={"rate": 0.0, "faults": ["prose"]})
    at.run(timeout=TIMEOUT)
    assert any("Chaos mode is on" in w.value for w in at.warning)
    ask(at, "Which port does Ollama listen on?")
    resp = at.session_state["messages"][-1]["response"]
    assert resp.chaos is True
    body = texts(at)
    assert "Model loading notice" in body
    assert "chaos on" in body


def test_banner_and_answer_line_say_which_ollama_host_answered(make_app):
    pool = chosen("ollama", "qwen2.5:3b", "pool of 2 Ollama hosts", host="http://gpu2:11434")
    at, _, _ = make_app(choose=pool, scripts={"qwen2.5:3b": [GOOD]})
    ask(at, "Which port does Ollama listen on?")
    resp = at.session_state["messages"][-1]["response"]
    assert resp.status == "answered" and resp.host == "http://gpu2:11434"
    assert any("gpu2" in c.value for c in at.caption)  # under the answer
    at.run(timeout=TIMEOUT)  # the banner above the chat reflects the last answer from the next render on
    banner = " ".join(i.value for i in at.info)
    assert "Last answer from the Ollama host" in banner and "gpu2" in banner
