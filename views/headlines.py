"""View layer: what a guardrail's firing means for the user, in the session's language.

Guardrails give their reasons in English (the CLI's `message` and the traces keep them verbatim: a contract).
The UI shows a localized headline (i18n key `guard_head.<name>`) first and the exact English reason beside or
below it. A guardrail without a headline (a custom one) has none: the caller shows the reason as before.

Pure functions over plain data (AskResponse.guardrails, a stored trace's `result["guardrails"]` dicts or trace
events): a stored or imported trace can hold anything, so every field is read defensively and nothing raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from views.i18n import translate
from views.text import safe_md

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


def headline(lang: str, guard: Fired | None, *, status: str | None = None, markdown: bool = False) -> str | None:
    """The localized plain-words headline for a fired guardrail, or None (no guardrail, or an unknown one: the
    caller falls back to the English reason). `status`: the request's, when `guard` ended it. `markdown`: the
    headline goes to st.markdown/st.info (a guardrail name put into it is escaped), else to a table cell."""
    if guard is None or not guard.name:
        return None
    if guard.errored:  # a check that crashed and failed closed: not what the guardrail normally means
        key = "guard_stop.errored_output" if guard.stage == "output" else "guard_stop.errored"
        return translate(lang, key, name=safe_md(guard.name) if markdown else guard.name)
    if status == "refused" and guard.action == "drop":
        return translate(lang, "guard_stop.all_dropped")
    found = translate(lang, f"guard_head.{guard.name}", default="")
    return found or None


def event_headline(lang: str, event: Any, *, markdown: bool = False) -> str:
    """The headline of a trace event that is a fired guardrail verdict ('' for any other event)."""
    try:
        if _get(event, "outcome") != "fired" or _get(event, "step") not in GUARD_STAGES:
            return ""
        details = _get(event, "details") or {}
        guard = Fired(
            name=_text(_get(event, "name")),
            stage=_text(_get(event, "step")),
            action=_text(details.get("action")) if isinstance(details, dict) else "",
            reason=_text(_get(event, "reason")),
            errored=isinstance(details, dict) and details.get("errored") is True,
        )
        return headline(lang, guard, markdown=markdown) or ""
    except Exception:  # a malformed imported event: no headline, the row still shows its reason
        return ""
