"""How a guardrail reads an optional semantic Signal: usable or not, its details for the verdict, and the
sentence that says so when the guardrail had to decide without it (the visible fail mode).

Pure policy layer; shared by prompt_injection and completeness.
"""

from __future__ import annotations

import math
from typing import Any

from guardrails.base import GuardContext, Signal


def failure(signal: Signal) -> str | None:
    """Why a present signal cannot be used: its error, or a score that is not a number (NaN, from a zero vector's
    cosine, compares false both ways, so it would pass a fail-closed check); None when it can."""
    if signal.error is not None:
        return signal.error
    return None if math.isfinite(signal.score) else "its score is not a number"


def usable_score(ctx: GuardContext, name: str) -> float | None:
    """The signal's score, or None when it is missing or failed (the guardrail's missing-signal rule applies)."""
    signal = ctx.signals.get(name)
    return signal.score if signal is not None and failure(signal) is None else None


def evidence_of(ctx: GuardContext, name: str) -> tuple[str, ...]:
    signal = ctx.signals.get(name)
    return signal.evidence if signal is not None and failure(signal) is None else ()


def semantic_details(signal: Signal | None, threshold: float) -> dict[str, Any]:
    if signal is None:
        return {"status": "missing"}
    if (why := failure(signal)) is not None:
        return {"status": "error", "error": why}
    return {"status": "ok", "score": signal.score, "threshold": threshold, **signal.details}


def fallback_note(signal: Signal | None, without: str, *, what: str = "semantic signal") -> str:
    """'' when the signal was used; else why not and what decided instead (`without`, e.g. "patterns only")."""
    if signal is None:
        return f" (no {what} for this request: {without})"
    if (why := failure(signal)) is not None:
        return f" ({what} failed: {why}; {without})"
    return ""
