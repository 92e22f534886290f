"""View layer: what a guardrail's firing means for the user, in the session's language.

Guardrails give their reasons in English (the CLI's `message` and the traces keep them verbatim: a contract).
The UI shows a localized headline (i18n key `guard_head.<name>`) first and the exact English reason beside or
below it. A guardrail without a headline (a custom one) has none: the caller shows the reason as before.

Which guardrail stopped a request, and reading it from stored data, is the app's (app.headlines); this module
only words it for the page.
"""

from __future__ import annotations

from typing import Any

from app import Fired, fired_event
from views.i18n import translate
from views.text import safe_md


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
        guard = fired_event(event)
        return headline(lang, guard, markdown=markdown) or "" if guard is not None else ""
    except Exception:  # a malformed imported event: no headline, the row still shows its reason
        return ""
