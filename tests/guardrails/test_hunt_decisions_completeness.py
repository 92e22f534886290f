"""Bug hunt (decisions): completeness's `semantic_threshold = 1.0` means "never" (its documented off switch).

The parameter says "1.0: never; the lexical checks alone", but the check compared `score >= threshold`, and the
app rounds the signal to four decimals (app/signals/input_scorers.py), so a probability of 0.99995 or more arrives
as exactly 1.0 and still clarified a question the lexical checks passed.
"""

from __future__ import annotations

import pytest

from guardrails.base import GuardContext, Signal, Turn
from guardrails.completeness import SIGNAL, CompletenessGuardrail

OFF = CompletenessGuardrail(semantic_threshold=1.0)


def _ctx(question: str, score: float) -> GuardContext:
    return GuardContext(question=question, signals={SIGNAL: Signal(name=SIGNAL, score=score)})


@pytest.mark.parametrize("question", ["Recommend a model.", "需要多少内存？"], ids=["en", "zh"])
@pytest.mark.parametrize("score", [1.0, 0.9999])
def test_threshold_one_never_clarifies_on_the_signal(question: str, score: float) -> None:
    verdict = OFF.check(_ctx(question, score))
    assert not verdict.fired, verdict.reason
    assert "intent" not in verdict.details["missing"]
    assert f"{score:.2f} < " not in verdict.reason  # the reason does not claim a comparison that is false


@pytest.mark.parametrize("question", ["Recommend a model.", "需要多少内存？"], ids=["en", "zh"])
def test_below_one_the_threshold_is_still_inclusive(question: str) -> None:
    guard = CompletenessGuardrail(semantic_threshold=0.9)
    assert guard.check(_ctx(question, 0.9)).fired
    assert not guard.check(_ctx(question, 0.8999)).fired


@pytest.mark.parametrize("question", ["Is this plan reasonable?", "这个方案合理吗？"], ids=["en", "zh"])
def test_threshold_one_keeps_the_lexical_checks(question: str) -> None:
    verdict = OFF.check(_ctx(question, 1.0))
    assert verdict.fired and verdict.details["missing"] == ["referent"], verdict.reason


@pytest.mark.parametrize(
    ("history", "question"),
    [
        ("I am choosing between qwen2.5:3b and llama3.2:3b.", "Which one is faster?"),
        ("我在 qwen2.5:3b 和 llama3.2:3b 之间选。", "哪个更快？"),
    ],
    ids=["en", "zh"],
)
def test_a_pass_resolved_by_history_does_not_claim_the_score_is_below_the_threshold(history: str, question: str) -> None:
    """Earlier turns resolve the question, so a high underspecification probability does not clarify it; the
    reason said "probability 0.93 < 0.70" all the same, a comparison that is false."""
    ctx = GuardContext(
        question=question, history=(Turn(role="user", content=history),), signals={SIGNAL: Signal(name=SIGNAL, score=0.93)}
    )
    verdict = CompletenessGuardrail().check(ctx)
    assert not verdict.fired and verdict.score == 0.93 and verdict.threshold == 0.7
    assert "0.93 < 0.70" not in verdict.reason, verdict.reason
    assert "0.93 >= 0.70" in verdict.reason and "earlier turns" in verdict.reason
