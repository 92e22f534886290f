"""How a guardrail reads an optional semantic Signal: usable or not, its details for the verdict, and the
sentence that says so when the guardrail had to decide without it (the visible fail mode).

Pure policy layer; shared by prompt_injection and completeness.
"""

from __future__ import annotations

from typing import Any

from guardrails.base import GuardContext, Signal


def usable_score(ctx: GuardContext, name: str) -> float | None:
    """The signal's score, or None when it is missing or failed."""
    signal = ctx.signals.get(name)
    return signal.score if signal is not None and signal.error is None else None


def evidence_of(ctx: GuardContext, name: str) -> tuple[str, ...]:
    signal = ctx.signals.get(name)
    return signal.evidence if signal is not None and signal.error is None else ()


def semantic_details(signal: Signal | None, threshold: float) -> dict[str, Any]:
    if signal is None:
        return {"status": "missing"}
    if signal.error is not None:
        return {"status": "error", "error": signal.error}
    return {"status": "ok", "score": signal.score, "threshold": threshold, **signal.details}


def fallback_note(signal: Signal | None, without: str, *, what: str = "semantic signal") -> str:
    """'' when the signal was used; else why not and what decided instead (`without`, e.g. "patterns only")."""
    if signal is None:
        return f" (no {what} for this request: {without})"
    if signal.error is not None:
        return f" ({what} failed: {signal.error}; {without})"
    return ""
