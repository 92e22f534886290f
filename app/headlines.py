"""What each guardrail's firing means, in plain words for the person who asked (English and Chinese).

App layer, pure data: the Streamlit views show it above the guardrail's exact English reason, and `serve` puts it
first in the reply to a refused Chinese question (app.conversation.reply_text). The reasons themselves stay
English: the CLI's `message` and the traces are a contract.

Which fired guardrail a stopped request is about (`stopping_guardrail`) is read from plain data
(AskResponse.guardrails, a stored trace's `result["guardrails"]` dicts, trace events): a stored or imported
trace can hold anything, so every field is read defensively and nothing raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GUARD_HEADLINES: dict[str, dict[str, str]] = {
    "en": {
        "input_size": "Your question is too long or contains too much unreadable text, so it was not processed.",
        "prompt_injection": "This looks like an attempt to override the assistant's instructions, so it was not sent to the model.",
        "completeness": "Your question needs a bit more detail before it can be answered.",
        "relevance": "Your documents don't seem to cover this question.",
        "context_injection": "Some passages found in your documents contain instructions aimed at the model, so they were left out of the answer.",
        "citations": "An answer from the model did not cite its sources correctly, so it was not used.",
        "degenerate_output": "An answer from the model was garbled (it kept repeating itself), so it was not used.",
        "grounding": "An answer from the model said things your documents do not support, so it was not used.",
        "answer_relevance": "An answer from the model did not address your question, so it was not used.",
        "answer_injection": "An answer from the model passed on instructions, links or commands planted in a document, so it was not used.",
    },
    "zh": {
        "input_size": "你的问题太长，或包含太多无法识别的字符，因此没有处理。",
        "prompt_injection": "这看起来像是在试图覆盖助手的指令，因此没有发送给模型。",
        "completeness": "这个问题还缺少一些必要的细节，补充之后才能回答。",
        "relevance": "你的文档中似乎没有能回答这个问题的内容。",
        "context_injection": "在文档中找到的部分段落含有针对模型的指令，已被排除，不会用于回答。",
        "citations": "模型给出的一个回答没有正确引用来源，因此未被采用。",
        "degenerate_output": "模型给出的一个回答内容异常（不断重复），因此未被采用。",
        "grounding": "模型给出的一个回答包含文档中找不到依据的内容，因此未被采用。",
        "answer_relevance": "模型给出的一个回答答非所问，因此未被采用。",
        "answer_injection": "模型给出的一个回答转述了文档中被植入的指令、链接或命令，因此未被采用。",
    },
}
"""Per language, guardrail name -> headline (the built-in guardrails; a custom one has none)."""


def guard_headline(name: str, lang: str) -> str | None:
    """The headline of guardrail `name` in `lang` ("en" when that language has none), or None for a guardrail
    without one (a custom guardrail: the caller shows its reason as before)."""
    return GUARD_HEADLINES.get(lang, GUARD_HEADLINES["en"]).get(name) or GUARD_HEADLINES["en"].get(name)


GUARD_STAGES = ("input", "retrieval", "output")  # the trace steps whose events are guardrail verdicts
STOPPING_ACTIONS = ("refuse", "clarify")


@dataclass(frozen=True)
class Fired:
    """One fired guardrail, as much as the headline needs."""

    name: str
    stage: str
    action: str
    reason: str
    errored: bool = False


def _get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, dict):
        return item.get(key, default)
    return getattr(item, key, default)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def fired_guardrails(guardrails: Any) -> list[Fired]:
    """The fired entries of AskResponse.guardrails (objects) or a stored result's "guardrails" (dicts)."""
    if not isinstance(guardrails, Iterable) or isinstance(guardrails, (str, bytes, dict)):
        return []
    out = []
    for g in guardrails:
        if _get(g, "fired") is True:
            out.append(
                Fired(
                    name=_text(_get(g, "name")),
                    stage=_text(_get(g, "stage")),
                    action=_text(_get(g, "action")),
                    reason=_text(_get(g, "reason")),
                    errored=_get(g, "errored") is True,
                )
            )
    return out


def stopping_guardrail(status: Any, message: Any, guardrails: Any) -> Fired | None:
    """The fired guardrail that ended a refused or clarify request (None for other outcomes, or when none did).

    The one whose reason is the response's message (what the chain returns for a refusal or a clarification);
    otherwise, as guardrails.blocking_verdict decides, a fired refuse, then a fired clarify; a refusal because
    every passage was dropped (context_injection) names the dropping guardrail. An error status has a guardrail
    behind it only when its message is that guardrail's reason (an empty index is an error, not a refusal)."""
    if status not in ("refused", "clarify", "error"):
        return None
    fired = fired_guardrails(guardrails)
    exact = next((g for g in fired if message and g.reason == message), None)
    if status == "error" or exact is not None:
        return exact
    for action in (*STOPPING_ACTIONS, "drop"):
        found = next((g for g in fired if g.action == action), None)
        if found is not None and (action != "drop" or status == "refused"):
            return found
    return None


def fired_event(event: Any) -> Fired | None:
    """The fired guardrail a trace event records (None for any other event, or a malformed one)."""
    if _get(event, "outcome") != "fired" or _get(event, "step") not in GUARD_STAGES:
        return None
    details = _get(event, "details") or {}
    return Fired(
        name=_text(_get(event, "name")),
        stage=_text(_get(event, "step")),
        action=_text(details.get("action")) if isinstance(details, dict) else "",
        reason=_text(_get(event, "reason")),
        errored=isinstance(details, dict) and details.get("errored") is True,
    )
