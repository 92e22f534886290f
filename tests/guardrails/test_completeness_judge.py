"""completeness with the model-judged check (`judge`, off by default): the model's judgement clarifies only when
the policy turns it on, adds to the other checks, and a missing or failed judgement is said in the verdict."""

from __future__ import annotations

import pytest

from guardrails import GuardContext, Signal
from guardrails.completeness import JUDGE, CompletenessGuardrail


def judged(question: str, unclear: bool | None, *, error: str | None = None) -> GuardContext:
    signals = {}
    if unclear is not None or error is not None:
        signals[JUDGE] = Signal(
            name=JUDGE,
            score=1.0 if unclear else 0.0,
            evidence=("qwen2.5:3b judged it not answerable as written; missing: which app",) if unclear else (),
            error=error,
        )
    return GuardContext(question=question, signals=signals)


# Questions that name their subject, so the lexical checks pass them: only the judge can clarify them.
NAMED = ["How do I speed up the app on my laptop?", "这个应用在我的笔记本上怎么提速？"]


@pytest.mark.parametrize("question", NAMED)
def test_off_by_default_the_judgement_is_ignored(question: str) -> None:
    verdict = CompletenessGuardrail().check(judged(question, unclear=True))
    assert not verdict.fired and "judge" not in verdict.details


@pytest.mark.parametrize("question", NAMED)
def test_on_a_judged_unclear_question_is_clarified_with_the_models_reason(question: str) -> None:
    verdict = CompletenessGuardrail(judge=True).check(judged(question, unclear=True))
    assert verdict.fired and verdict.action == "clarify"
    assert verdict.details["missing"] == ["judged"] and "answering model judged" in verdict.reason
    assert any("missing: which app" in e for e in verdict.evidence)
    assert verdict.details["judge"]["status"] == "ok" and verdict.details["questions"]


@pytest.mark.parametrize("question", NAMED)
def test_on_a_judged_clear_question_passes(question: str) -> None:
    verdict = CompletenessGuardrail(judge=True).check(judged(question, unclear=False))
    assert not verdict.fired and verdict.details["judge"]["score"] == 0.0


@pytest.mark.parametrize(
    ("unclear", "error", "said"),
    [
        (None, None, "no model judgement for this request: not judged by the model"),
        (None, "the model-judged clarify check never runs on the embedded model", "model judgement failed: the model-judged"),
    ],
)
def test_on_without_a_usable_judgement_the_verdict_says_so(unclear, error, said) -> None:
    verdict = CompletenessGuardrail(judge=True).check(judged(NAMED[0], unclear, error=error))
    assert not verdict.fired and said in verdict.reason


@pytest.mark.parametrize("question", ["Is this plan reasonable?", "这个方案合理吗？"])
def test_a_lexical_gap_is_still_reported_as_such(question: str) -> None:
    verdict = CompletenessGuardrail(judge=True).check(judged(question, unclear=True))
    assert verdict.fired and verdict.details["missing"] == ["referent"]
