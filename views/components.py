"""View layer: shared render helpers for one answer (badge, answer, citations, guardrail chips, trace link)
and the backend banner. Untrusted text goes through safe_md/highlight_md, or reaches st.code and st.json through
visible_bidi and visible_json (views/text.py), and tables through views/tables.table; never HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import streamlit as st

from app import AskResponse, fired_guardrails, stopping_guardrail
from views import state
from views.headlines import headline
from views.i18n import t
from views.text import highlight_md, safe_md, short_id
from views.timeline import render_timeline

BadgeColor = Literal["green", "blue", "red", "orange", "gray"]  # the st.badge colours used here
STATUS_STYLE: dict[str, tuple[BadgeColor, str]] = {
    "answered": ("green", ":material/check_circle:"),
    "clarify": ("blue", ":material/help:"),
    "refused": ("red", ":material/block:"),
    "fallback": ("orange", ":material/swap_horiz:"),
    "error": ("gray", ":material/error:"),
}


def status_badge(status: str) -> None:
    color, icon = STATUS_STYLE.get(status, ("gray", ":material/error:"))
    st.badge(t(f"status.{status}"), icon=icon, color=color)


def trace_link(trace_id: str) -> None:
    page = st.session_state.get("pages", {}).get("traces")
    label = t("trace_link", id=short_id(trace_id))
    if page is not None:
        st.page_link(page, label=label, icon=":material/timeline:", query_params={"trace": trace_id})
    else:
        st.caption(label)


def guardrail_chips(resp: AskResponse) -> None:
    fired = [g for g in resp.guardrails if g.fired]
    passed = sum(1 for g in resp.guardrails if not g.fired)
    for g in fired:
        color: BadgeColor = "orange" if g.action in ("clarify", "warn") else "red"
        st.badge(t("guard.fired", name=g.name), icon=":material/shield:", color=color)
        shown_above = g.reason == resp.message  # the request's message: its headline and reason are shown above
        # What happened, in the user's language (a rejected attempt's firing too); the one already said above,
        # or one without a headline, is described instead. The English reason stays verbatim beside it.
        found = None if shown_above else headline(state.lang(), fired_guardrails([g])[0], markdown=True)
        plain = found or safe_md(t(f"guard_desc.{g.name}", default=""))
        reason = "" if shown_above else safe_md(g.reason)
        # An output check names the attempt it judged: a rejected attempt's firing is listed even when a later one answered.
        where = t("guard.attempt", rung=safe_md(g.rung or "?"), attempt=g.attempt) if g.attempt else ""
        st.caption(" — ".join(x for x in (plain, reason, where) if x))
    if passed:
        st.caption(t("checks_passed", n=passed))


def citations(resp: AskResponse, *, label: Callable[[str], str]) -> None:
    """`label`: how a source is shown (GuardedRAG.source_label: an upload's source is an absolute server path)."""
    for c in resp.citations:
        title = f"[{safe_md(c.label or '?')}] {safe_md(label(c.source))} · {safe_md(c.chunk_id)}"
        with st.expander(title):
            if c.score is not None:
                st.caption(t("score", score=f"{c.score:.2f}"))
            st.markdown(highlight_md(c.text, resp.answer) if c.text else t("no_text"))


def cold_start_notes(events: list[Any]) -> list[str]:
    return [e.reason for e in events if e.name == "model_load" and e.outcome == "loading"]


def render_response(resp: AskResponse, *, key: str, source_label: Callable[[str], str], question: str | None = None) -> None:
    """One committed answer, as shown in chat (and reused for a trace's stored response). `question`: what
    was asked (chat only), so a clarification can offer to answer it as written. `source_label`: how a cited
    source is shown (GuardedRAG.source_label: never a server path)."""
    status_badge(resp.status)
    if resp.status == "fallback" and resp.answer:
        fallback_note(resp)
    if resp.answer:
        st.markdown(safe_md(resp.answer))
    if resp.status == "clarify":
        render_clarify(resp, key=key, question=question)
    elif resp.message and resp.status in ("refused", "error"):
        stopped_by(resp, st.error if resp.status == "error" else st.info)
    elif resp.status == "fallback" and not resp.answer:
        # The last rung ("cannot answer"): nothing was quoted, so the message says why there is no answer; the
        # "quoted from your documents" label would announce passages that are not there.
        st.warning(safe_md(resp.message or t("fallback_none")), icon=":material/swap_horiz:")
    if resp.citations:
        st.caption(t("sources", n=len(resp.citations)))
        citations(resp, label=source_label)
    guardrail_chips(resp)
    for note in cold_start_notes(resp.events):
        st.caption(t("model_loaded", note=safe_md(note)))
    meta = t("meta", backend=safe_md(resp.backend), model=safe_md(resp.model), calls=resp.llm_calls, ms=f"{resp.latency_ms:.0f}")
    meta += f" · {safe_md(resp.host)}" if resp.host else ""
    st.caption(meta + (" · " + t("chaos_on") if resp.chaos else ""))
    if resp.status == "error":
        trace_link(resp.trace_id)
    with st.expander(t("timeline_title", n=len(resp.events))):
        render_timeline(resp.events, key=key)
        trace_link(resp.trace_id)


QUOTED_RUNGS = (None, "extractive")  # a fallback answer quoted from the documents (no model wrote it)


def fallback_note(resp: AskResponse) -> None:
    """What a fallback answer is: passages quoted from the documents, or the answer of a later model of the ladder
    (which the label must not call quoted). The app's message, below it, says why the first model's was not used
    (its checks, a timeout, the latency budget, an unreachable server)."""
    if resp.rung in QUOTED_RUNGS:
        st.warning(t("fallback_label"), icon=":material/swap_horiz:")
    else:
        st.warning(t("fallback_model", model=safe_md(resp.model)), icon=":material/swap_horiz:")
    if resp.message:
        st.caption(safe_md(resp.message))


def stopped_by(resp: AskResponse, alert: Callable[..., Any]) -> None:
    """The message of a refused, clarify or error response. When a known guardrail ended the request: its
    headline in the user's language, then the guardrail's exact English reason as the detail (the message the
    CLI and the trace carry). Otherwise (an app error, a custom guardrail) the message as it is."""
    stop = stopping_guardrail(resp.status, resp.message, resp.guardrails)
    found = headline(state.lang(), stop, status=resp.status, markdown=True)
    if stop is None or found is None:
        alert(safe_md(resp.message))
        return
    alert(found)
    st.caption(t("guard.detail", name=safe_md(stop.name), reason=safe_md(resp.message)))


def render_clarify(resp: AskResponse, *, key: str, question: str | None = None) -> None:
    if resp.message:
        stopped_by(resp, st.info)
    if resp.missing:
        st.markdown(t("missing") + " " + ", ".join(safe_md(m) for m in resp.missing))
    if resp.clarifying_questions:
        # Questions to the user ("What does 'it' refer to?"), not questions for the documents: shown as text, never
        # as buttons that would send them to the model as if the user had asked them.
        st.caption(t("clarify_hint"))
        st.markdown("\n".join(f"- {safe_md(q)}" for q in resp.clarifying_questions))
    if question:
        # The user overrides the check for this one question: it is asked again with `completeness` off, which
        # the new trace records in its policy. Relevance and the output checks still apply.
        st.button(
            t("clarify.as_written"),
            key=f"as-written-{key}",
            on_click=queue_question,
            args=(question, True),
            icon=":material/fast_forward:",
            help=t("clarify.as_written_help"),
        )


def queue_question(question: str, as_written: bool = False) -> None:
    """Ask `question` on the next run (a button's on_click: st.chat_input cannot be pre-filled)."""
    st.session_state["pending_question"] = question
    st.session_state["pending_as_written"] = as_written


def backend_banner(choice: Any, *, last: AskResponse | None = None) -> None:
    """Which backend and model answer, why, and the one-line fix when Ollama or the model is missing."""
    kind = last.backend if last else choice.kind
    model = last.model if last else choice.model
    fix = (last.backend_fix if last else choice.fix) or None
    # Ollama chosen (GUARDED_RAG_BACKEND=ollama, or this session's setting) but unreachable: it is not answering,
    # the fallback ladder is; "Answering with Ollama model …" above "Ollama not reachable" said both.
    headline = f"banner.{kind}_down" if kind == "ollama" and fix else f"banner.{kind}"
    text = t(headline, model=safe_md(model)) + " — " + safe_md(last.backend_reason if last else choice.reason)
    if last is not None and last.host:  # which Ollama host answered the last question (one of a pool)
        text += "  \n" + t("banner.host", host=safe_md(last.host))
    if fix:
        st.warning(text + "  \n" + t("banner.fix") + " " + safe_md(fix), icon=":material/build:")
    else:
        st.info(text, icon=":material/memory:")
