"""View layer: the per-answer timeline (chat and trace detail): every step with outcome, duration and
attempt; for model steps the raw output, the parsed result and a diff of what the parse repair changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from views import state
from views.headlines import event_headline
from views.i18n import t, translate
from views.tables import table
from views.text import repair_diff, safe_md, visible_bidi, visible_json

STEP_ICONS = {
    "backend": "🖥️",
    "input": "🛡️",
    "retrieval": "🔎",
    "context": "📄",
    "generation": "🤖",
    "parse": "🧩",
    "output": "✅",
    "fallback": "↩️",
    "chaos": "🌀",
    "result": "🏁",
}
OUTCOME_ICONS = {"fired": "🔴", "error": "❌", "retry": "🔁", "reask": "🔁", "fallback": "↩️", "loading": "⏳", "cut": "✂️"}


def timeline_rows(events: Sequence[Any], *, lang: str = "en") -> list[dict[str, Any]]:
    """One plain row per event, in order (what the table shows). A fired guardrail's row says what happened in
    `lang` (views.headlines) beside its verbatim English reason; other rows, and unknown guardrails, leave it empty."""
    column = translate(lang, "tl.headline")
    return [
        {
            "#": e.seq,
            "step": f"{STEP_ICONS.get(e.step, '')} {e.step}",
            "name": e.name,
            "outcome": f"{OUTCOME_ICONS.get(e.outcome, '🟢')} {e.outcome}",
            "attempt": e.attempt,
            "ms": round(e.duration_ms, 1),
            "model": e.model or "",
            column: event_headline(lang, e),
            "reason": e.reason,
        }
        for e in events
    ]


def model_steps(events: Sequence[Any]) -> list[Any]:
    """Events that carry model text: model calls, parse results, re-asks."""
    return [e for e in events if e.raw_output is not None or e.parsed_output is not None]


def chaos_events(events: Sequence[Any]) -> list[Any]:
    return [e for e in events if e.step == "chaos"]


def repaired_text(event: Any) -> str | None:
    details = event.details or {}
    value = details.get("repaired_text")
    return value if isinstance(value, str) else None


def render_timeline(events: Sequence[Any], *, key: str) -> None:
    if not events:
        st.caption(t("timeline_empty"))
        return
    total = sum(e.duration_ms for e in events if e.step in ("generation",) and e.name == "model_call")
    st.caption(t("timeline_summary", n=len(events), model_ms=f"{total:.0f}"))
    table(timeline_rows(events, lang=state.lang()), key=f"tl-{key}")
    faults = chaos_events(events)
    if faults:
        st.warning(
            t("chaos_injected", n=len(faults))
            + "  \n"
            + "  \n".join(f"🌀 {safe_md(e.name)}: {safe_md(e.reason)}" for e in faults)
        )
    for e in model_steps(events):
        render_model_step(e)


def render_model_step(e: Any) -> None:
    st.markdown(
        t(
            "model_step",
            seq=e.seq,
            name=safe_md(e.name),
            attempt=e.attempt,
            model=safe_md(e.model or "?"),
            outcome=safe_md(e.outcome),
        )
    )
    diff = repair_diff(e.raw_output, repaired_text(e))
    labels = [t("tab.raw")]
    if e.parsed_output is not None:
        labels.append(t("tab.parsed"))
    if diff:
        labels.append(t("tab.repair"))
    if e.evidence:
        labels.append(t("tab.evidence"))
    tabs = iter(st.tabs(labels))
    with next(tabs):
        st.code(visible_bidi(e.raw_output or ""), language=None, wrap_lines=True)
    if e.parsed_output is not None:
        with next(tabs):
            st.json(visible_json(e.parsed_output), expanded=True)
    if diff:
        with next(tabs):
            st.code(visible_bidi(diff), language="diff", wrap_lines=True)
    if e.evidence:
        with next(tabs):
            st.code(visible_bidi("\n".join(str(x) for x in e.evidence)), language=None, wrap_lines=True)
