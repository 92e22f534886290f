"""Chat transcripts in, plain text out: how a chat client's messages (chat APIs keep the history on the client)
become one question + history for GuardedRAG, and how an AskResponse reads as one plain-text reply.

Root-level next to contract.py: the HTTP server uses it today, and any chat-style caller can.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.contract import AskResponse
from app.headlines import guard_headline, stopping_guardrail
from guardrails import Turn
from guardrails.text import lang_of

ChatRole = Literal["system", "developer", "user", "assistant", "tool"]
# The answer prompt keeps the last 6 turns (chains.prompts.history_messages): older turns never reach the
# model, so they are neither passed on nor scanned (an old refused turn stops poisoning a conversation).
HISTORY_TURNS = 6
# A client's earlier turns can be any length; the answer prompt budgets passages first (history gives way only
# when no passage fits: chains/recipe.py), so each turn is cut to what the app's own turns can be: a question the input_size guardrail accepts
# (2,000 characters) is more than an answer (600) plus its sources.
HISTORY_TURN_CHARS = 1000
SOURCES_HEADER = "Sources:"
ANSWERED_STATUSES: frozenset[str] = frozenset({"answered", "fallback"})
"""The statuses whose exchanges are history for a follow-up (`is_answer`): an answer from a model or quoted from the
documents. Refused, clarify and error exchanges are not material: a clarification's questions (and a refusal's
sentence) name things the documents never said, and the completeness guardrail takes a named thing in any earlier
turn as the context a vague follow-up refers to, so that follow-up would be "answered" from them."""
REFUSED_ZH = "已拒绝（"  # how a refusal of a Chinese question opens (reply_text): "已拒绝（relevance 护栏）：…"
_NOT_ANSWERS = ("Refused by the ", "Refused: ", REFUSED_ZH, "Error: ", "[fallback: cannot_answer]")  # reply_text's non-answers


class ChatError(ValueError):
    """The transcript holds no question to answer (the caller's request is malformed)."""


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    role: ChatRole
    content: str = ""


class ChatQuestion(BaseModel):
    """A transcript split the way the guarded chain takes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str
    history: tuple[Turn, ...] = ()
    system: tuple[str, ...] = Field(default=(), description="Client system prompts: recorded and screened, never sent.")
    dropped_turns: int = Field(default=0, description="Earlier turns beyond HISTORY_TURNS, not passed on.")

    def lang(self) -> str:
        """The question's language as the chain tells it ("zh" with Chinese characters, else "en")."""
        return lang_of(self.question)


def from_chat(messages: Sequence[ChatMessage]) -> ChatQuestion:
    """The last message is the question (it must be the user's); earlier user/assistant messages are the
    history; system (and OpenAI "developer") messages are kept apart; tool messages are ignored (nothing
    here calls tools). Our own sources block is cut from assistant turns, so history carries answers.

    An earlier reply of ours that is no answer (a refusal, an error, "cannot answer": `reply_text`'s own openings)
    leaves the history together with the user turns it replied to, as `answered_history` leaves out such exchanges
    of the app's own chat. A clarification reads like any list and stays (a client's transcript has no status)."""
    system = tuple(m.content for m in messages if m.role in ("system", "developer") and m.content.strip())
    turns = [m for m in messages if m.role in ("user", "assistant", "tool")]
    if not turns or turns[-1].role != "user":
        raise ChatError("the last message must be the user's question (role 'user')")
    past: list[Turn] = []
    asked = 0  # user turns since the last assistant turn kept
    for m in turns[:-1]:
        if m.role == "user" and not m.content.strip():
            continue  # an empty message says nothing: no empty turn for the model
        if m.role == "user":
            past.append(Turn(role="user", content=_cut(m.content)))
            asked += 1
        elif m.role == "assistant" and _not_an_answer(m.content):
            del past[len(past) - asked :]
            asked = 0
        elif m.role == "assistant":
            past.append(Turn(role="assistant", content=_cut(strip_sources(m.content))))
            asked = 0
    kept = past[-HISTORY_TURNS:] if HISTORY_TURNS else []
    return ChatQuestion(question=turns[-1].content, history=tuple(kept), system=system, dropped_turns=len(past) - len(kept))


def _not_an_answer(reply: str) -> bool:
    """One of our replies without an answer: it opens like one and carries no sources (an answer always has); or an
    empty reply (nothing answered: a client shows a failed request so), as `is_answer` takes an empty answer."""
    if not strip_sources(reply):
        return True
    return reply.lstrip().startswith(_NOT_ANSWERS) and strip_sources(reply) == reply.strip()


def is_answer(resp: AskResponse) -> bool:
    """Whether an exchange counts as history for a follow-up: its status is one of ANSWERED_STATUSES and it has an
    answer (a fallback that could not answer has none)."""
    return resp.status in ANSWERED_STATUSES and bool((resp.answer or "").strip())


def answered_history(exchanges: Sequence[tuple[str, AskResponse]], *, turns: int = HISTORY_TURNS) -> tuple[Turn, ...]:
    """The history a chat front end passes to `ask` from its own exchanges (question, response), oldest first: the
    question and answer of each exchange that `is_answer`, the last `turns` of them, each cut to a turn's length.
    Refused, clarify and error exchanges are left out, their question too (see ANSWERED_STATUSES); a clarifying
    question the user picks is asked as a whole question, so nothing it needs is lost."""
    past: list[Turn] = []
    for question, resp in exchanges:
        if is_answer(resp):
            past += [Turn(role="user", content=_cut(question)), Turn(role="assistant", content=_cut(resp.answer or ""))]
    return tuple(past[-turns:]) if turns > 0 else ()


def _cut(text: str) -> str:
    return text if len(text) <= HISTORY_TURN_CHARS else text[: HISTORY_TURN_CHARS - 1].rstrip() + "…"


def strip_sources(text: str) -> str:
    """An earlier reply of ours without the sources block `reply_text` appended."""
    cut = text.find(f"\n\n{SOURCES_HEADER}\n")
    return (text[:cut] if cut >= 0 else text).strip()


def reply_text(resp: AskResponse, lang: str = "en", *, label: Callable[[str], str] | None = None) -> str:
    """The whole reply as plain text: the answer and its sources; the clarifying questions; a refusal's
    reason in one sentence (for a Chinese question, `lang` "zh", led by what it means in Chinese); a fallback
    labelled as one before its text; an error's message. `label`: how a cited source reads (`sources_text`)."""
    if resp.status == "clarify":
        if resp.clarifying_questions:
            return "\n".join(f"- {q}" for q in resp.clarifying_questions)
        return resp.message or "Please say more precisely what you are asking about."
    if resp.status == "refused":
        return refusal_sentence(resp, lang)
    if resp.status == "error":
        return f"Error: {_sentence(resp.message or 'the request failed')}."
    parts: list[str] = []
    if resp.status == "fallback":
        parts.append(f"[fallback: {resp.rung or 'unknown'}] {resp.message or 'not the primary model answer'}".strip())
    if resp.answer:
        parts.append(resp.answer.strip())
    sources = sources_text(resp, label=label)
    if sources:
        parts.append(sources)
    return "\n\n".join(parts)


def refusal_sentence(resp: AskResponse, lang: str = "en") -> str:
    """One sentence: which guardrail refused and why (the one the UI and the CLI name: app.headlines'
    stopping_guardrail). A Chinese question's refusal opens with what the guardrail's firing means, in Chinese
    (the reason itself is the guardrail's, in English: a contract)."""
    guard = stopping_guardrail(resp.status, resp.message, resp.guardrails)
    reason = _sentence(resp.message or (guard.reason if guard else "") or "a guardrail refused the question")
    if guard is not None and lang == "zh" and (headline := guard_headline(guard.name, "zh")):
        return f"{REFUSED_ZH}{guard.name} 护栏）：{headline}详情：{reason}。"
    return f"Refused by the {guard.name} guardrail: {reason}." if guard else f"Refused: {reason}."


def sources_text(resp: AskResponse, *, label: Callable[[str], str] | None = None) -> str:
    """The sources block: each cited source once, as `label` names it (a service's `source_label`, as the UI shows
    it: `uploads/<name>`); without one, as `path_free` does. A reply leaves the machine: never a server path."""
    name = label or path_free
    lines = list(dict.fromkeys(f"[{c.label}] {name(c.source)}" if c.label else name(c.source) for c in resp.citations))
    return "\n".join([SOURCES_HEADER, *lines]) if lines else ""


def path_free(source: str) -> str:
    """A source without the server's folders: relative to the docs folder as is, any absolute path as `…/<name>`
    (what UploadFolder.label makes of a file outside the uploads folder, for a caller without a service)."""
    path = PurePath(source)
    return f"…/{path.name}" if path.is_absolute() else source


def _sentence(text: str) -> str:
    return " ".join(text.split()).rstrip(" .。")


class Usage(BaseModel):
    """Model work behind one answer, summed over every model call (retries, re-asks, fallback rungs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_ms: float = 0.0
    load_ms: float = 0.0


def usage_of(resp: AskResponse) -> Usage:
    calls = [e for e in resp.events if e.step == "generation" and e.name == "model_call"]
    loads = [e for e in resp.events if e.step == "generation" and e.name == "model_load"]
    return Usage(
        prompt_tokens=sum((e.tokens or {}).get("prompt_eval_count", 0) for e in calls),
        completion_tokens=sum((e.tokens or {}).get("eval_count", 0) for e in calls),
        model_ms=round(sum(e.duration_ms for e in calls), 1),
        load_ms=round(sum(e.duration_ms for e in loads), 1),
    )
