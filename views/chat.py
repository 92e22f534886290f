"""View layer: the Chat page. Renders AskResponse objects from GuardedRAG.ask; progress comes from the
per-request observer (trace events) and on_token (the streaming JSON, shown as provisional text).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import streamlit as st

from app import AskResponse, BackendChoice, GuardedRAG, Turn, answered_history
from views import state
from views.components import backend_banner, queue_question, render_response
from views.headlines import event_headline
from views.i18n import t
from views.stopping import stop_check
from views.text import AnswerStream, safe_md
from views.timeline import OUTCOME_ICONS, STEP_ICONS

DEFAULT_MAX_CHARS = 4000  # the limit shown when the input_size guardrail is off (it sets the limit otherwise)
REPAINT_S = 0.1  # the provisional answer is redrawn at most this often while the model streams it
BOX_CAP = 32_768  # what the chat box takes: Streamlit drops a paste longer than its max_chars without a word, so
# the box takes more than the limit and the input_size guardrail refuses the excess, saying why (and traced)


def exchanges(messages: list[dict[str, Any]]) -> list[tuple[str, AskResponse]]:
    """The chat's (question, response) pairs, oldest first: each user message with the reply that follows it."""
    pairs: list[tuple[str, AskResponse]] = []
    for asked, reply in pairwise(messages):
        resp = reply.get("response")
        if asked["role"] == "user" and reply["role"] == "assistant" and resp is not None:
            pairs.append((str(asked.get("content", "")), resp))
    return pairs


def history(messages: list[dict[str, Any]]) -> tuple[Turn, ...]:
    """What a follow-up is asked with: the answered exchanges only (app.conversation.answered_history says why
    refused, clarify and error turns are left out)."""
    return answered_history(exchanges(messages))


def max_chars(svc: GuardedRAG) -> int:
    """The longest question this session's policy accepts (its input_size guardrail), shown in the chat box."""
    return svc.question_limit(state.options()) or DEFAULT_MAX_CHARS


def box_chars(limit: int) -> int:
    """What the chat box takes: more than `limit`, so a pasted question over it reaches the input_size guardrail
    (a refusal that says why) instead of vanishing from the box (Streamlit drops a paste over max_chars)."""
    return max(limit, BOX_CAP)


def last_response(messages: list[dict[str, Any]], settings: dict[str, Any]) -> AskResponse | None:
    """The newest answer, for the banner to say who answered it: only when it was asked with this session's
    current `settings` (AskOptions.settings). Once they were changed mid-conversation (another backend or model on
    the Settings page), it names what answered before, not what answers next: the banner shows the new choice."""
    newest = next((m for m in reversed(messages) if m.get("response") is not None), None)
    if newest is None or newest.get("settings") != settings:
        return None
    response: AskResponse = newest["response"]
    return response


def session_backend(svc: GuardedRAG) -> BackendChoice:
    """The backend and model this session's questions go to (its Settings may choose another than the process's)."""
    try:
        settings, _ = svc.effective(state.options())
    except ValueError:  # options that no longer validate: ask() reports them; the banner shows the process's choice
        return svc.backend()
    return svc.backend(settings=settings)


class LiveProgress:
    """Observer + token sink for one request: step lines in st.status, the partial answer as provisional."""

    def __init__(
        self,
        *,
        status: Any = None,
        provisional: Any = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = REPAINT_S,
    ) -> None:
        """`status`, `provisional`: where progress and the partial answer are drawn (default: a new st.status and
        st.empty); `clock` and `interval`: the partial answer is redrawn at most once per `interval` seconds."""
        self.status = status if status is not None else st.status(t("working"), expanded=False)
        self.provisional = provisional if provisional is not None else st.empty()
        self.stream = AnswerStream()
        self.cold = False
        self._clock = clock
        self._interval = interval
        self._painted: float | None = None  # when the partial answer was last drawn
        self._shown = ""  # what was drawn then

    def observe(self, event: Any) -> None:
        try:
            line = f"{STEP_ICONS.get(event.step, '')} {event.step} · {safe_md(event.name)} → {OUTCOME_ICONS.get(event.outcome, '🟢')} {event.outcome}"
            if event.duration_ms:
                line += f" ({event.duration_ms:.0f} ms)"
            said = event_headline(state.lang(), event, markdown=True)  # a fired guardrail: what it means, in words
            self.status.markdown(line + (f" — {said}" if said else ""))
            self.status.update(label=t(f"step.{event.step}", default=t("working")))
            if event.name == "model_load" and event.outcome == "loading":
                self.cold = True
                self.status.markdown(t("model_loading") + " " + safe_md(event.reason))
            if event.name in ("model_call", "reask") or event.step == "fallback":
                if event.step != "fallback":  # the call's last tokens, held back by the interval, stay shown
                    self._paint(self._clock())
                self.stream = AnswerStream()  # the next model call streams a fresh JSON object
                self._painted = None
            if event.step == "fallback":
                self.provisional.caption(t("provisional_dropped"))
        except Exception:
            pass

    def token(self, token: str) -> None:
        """Runs in the model's token loop: decoding is incremental and the text is redrawn at most once per
        interval (each redraw escapes and sends the whole text: per token, a long answer cost seconds of CPU
        and megabytes sent to the browser, and slowed the model down)."""
        try:
            self.stream.feed(token)
            now = self._clock()
            if self._painted is None or now - self._painted >= self._interval:
                self._paint(now)
        except Exception:
            pass

    def _paint(self, now: float) -> None:
        text = self.stream.text
        if text and text != self._shown:
            self._painted, self._shown = now, text
            self.provisional.markdown(f":orange-badge[{t('provisional')}] " + safe_md(text))

    def finish(self, resp: AskResponse) -> None:
        ok = resp.status in ("answered", "clarify", "refused", "fallback")
        self.status.update(label=t("done", status=t(f"status.{resp.status}")), state="complete" if ok else "error")
        self.provisional.empty()


def ask(svc: GuardedRAG, question: str, *, as_written: bool = False) -> None:
    """`as_written`: the user chose to have a question answered that the completeness check clarified; this
    one request runs with that guardrail off (recorded in its trace's policy)."""
    messages = state.messages()
    past = history(messages)
    options = state.options()
    if as_written:
        off = {**options.guardrails, "completeness": {**options.guardrails.get("completeness", {}), "enabled": False}}
        options = options.model_copy(update={"guardrails": off})
    if len(messages) >= 2 and messages[-1].get("interrupted") == question:
        del messages[-2:]  # asked again right away (a double click on a button): one turn, not an interrupted one too
    key = str(len(messages) + 1)
    # The question is kept before the answer exists: Streamlit stops this run when the user opens another page,
    # asks another question or presses Stop, and a question that vanished from the chat would look never asked.
    messages.append({"role": "user", "content": question, "response": None})
    with st.chat_message("user"):
        st.markdown(safe_md(question))
    with st.chat_message("assistant"):
        live = LiveProgress()
        stopping = stop_check()  # Stop, another page or question: the model call ends too, not only this run
        interrupted = {"role": "assistant", "content": "", "response": None, "interrupted": question}
        try:
            resp = svc.ask(
                question, history=past, options=options, observer=live.observe, on_token=live.token, cancelled=stopping
            )
        except BaseException as exc:
            if not isinstance(exc, Exception):  # Streamlit's stop/rerun (BaseException): the run was cut short
                messages.append(interrupted)
            raise
        if stopping():  # withdrawn while the model worked: what the chain made of it (traced) was not waited for
            messages.append(interrupted)
            return
        # Kept before it is drawn: a run stopped while drawing it still leaves the answer for the next run to show.
        answer = {"role": "assistant", "content": resp.answer or resp.message or "", "response": resp}
        messages.append(answer | {"settings": dict(options.settings)})  # its settings: see last_response
        live.finish(resp)
        render_response(resp, key=key, source_label=svc.source_label, question=question)


def render_interrupted(question: str, *, key: str) -> None:
    """A question whose run was stopped before its answer: said, with a button that asks it again."""
    st.warning(t("chat.interrupted"), icon=":material/pause_circle:")
    st.button(t("chat.ask_again"), key=f"ask-again-{key}", on_click=queue_question, args=(question,), icon=":material/replay:")


def render(svc: GuardedRAG) -> None:
    st.title(t("chat.title"))
    messages = state.messages()
    backend_banner(session_backend(svc), last=last_response(messages, state.options().settings))
    if state.options().chaos:
        st.warning(t("chaos_active"), icon=":material/cyclone:")
    if not messages:
        st.caption(t("chat.empty"))
    for i, message in enumerate(messages):
        with st.chat_message(message["role"]):
            if message.get("interrupted"):
                render_interrupted(str(message["interrupted"]), key=str(i))
            elif message.get("response") is None:
                st.markdown(safe_md(message["content"]))
            else:
                asked = messages[i - 1]["content"] if i and messages[i - 1]["role"] == "user" else None
                render_response(message["response"], key=str(i), source_label=svc.source_label, question=asked)
    limit = max_chars(svc)
    prompt = st.chat_input(t("chat.placeholder_limit", n=limit), max_chars=box_chars(limit))
    pending = st.session_state.pop("pending_question", None)  # set by "Answer it as written" or "Ask it again"
    as_written = bool(st.session_state.pop("pending_as_written", False)) and not prompt
    question = prompt or pending
    if question and question.strip():
        ask(svc, question.strip(), as_written=as_written)
    if messages and st.button(t("chat.clear"), icon=":material/delete_sweep:"):
        messages.clear()
        st.rerun()
