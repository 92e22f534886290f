"""prompt_injection's clause bar: the best clause group of a long input (the signal's `clause_score`) refuses at
`clause_threshold`, a bar of its own; the verdict then records that score, that bar and the clause."""

from __future__ import annotations

import math

import pytest

from guardrails import GuardContext, Signal
from guardrails.prompt_injection import SIGNAL, PromptInjectionGuardrail

GUARD = PromptInjectionGuardrail(semantic_threshold=0.7, clause_threshold=0.8)
QUESTION = "我们团队有二十个人，每人每天大概问二十个问题，文档主要是中英文的技术手册和会议纪要。"


def ctx(score: float, clause: float | None, error: str | None = None) -> GuardContext:
    details = {} if clause is None else {"clause_score": clause, "clause_part": "clause at character 40 of 90: '…'"}
    evidence = ("attack probability 0.50 (characters 0-60 of 90)", "best clause: attack probability 0.85 (…)")
    signal = Signal(name=SIGNAL, score=score, evidence=evidence, details=details, error=error)
    return GuardContext(question=QUESTION, signals={SIGNAL: signal})


@pytest.mark.parametrize(
    ("score", "clause", "fired", "decided_by"),
    [
        (0.5, 0.85, True, "clause"),
        (0.5, 0.8, True, "clause"),
        (0.5, 0.79, False, "whole"),
        (0.75, 0.5, True, "whole"),
        (0.75, 0.9, True, "whole"),  # the whole text or a window crossing its own bar decides first
        (0.5, None, False, "whole"),
        (0.5, math.nan, False, "whole"),
    ],
)
def test_the_clause_score_refuses_at_its_own_bar(score: float, clause: float | None, fired: bool, decided_by: str) -> None:
    verdict = GUARD.check(ctx(score, clause))
    assert verdict.fired is fired
    if decided_by == "clause":
        assert verdict.score == clause and verdict.threshold == 0.8
        assert "a clause (clause at character 40 of 90) reads like known attacks" in verdict.reason
        assert "best clause" in verdict.evidence[-1]
    else:
        assert verdict.score == score and verdict.threshold == 0.7
    if not fired and clause is not None and not math.isnan(clause):
        assert f"best clause {clause:.2f} < 0.80" in verdict.reason


def test_a_failed_signal_s_clause_score_is_not_used() -> None:
    verdict = GUARD.check(ctx(0.0, 0.99, error="not scored: the embedder answered NaN"))
    assert not verdict.fired and verdict.score is None and "semantic signal failed" in verdict.reason


def test_the_clause_bar_is_recorded_in_the_details() -> None:
    verdict = GUARD.check(ctx(0.5, 0.85))
    assert verdict.details["semantic"]["clause_threshold"] == 0.8 and verdict.details["semantic"]["clause_score"] == 0.85


@pytest.mark.parametrize(
    ("part", "said"),
    [
        (
            "Chinese window at characters 167-205 of 243: '用它做文档问答'",
            "a part of the text (Chinese window at characters 167-205 of 243)",
        ),
        ("clause at character 201 of 393: 'disregard it'", "a clause (clause at character 201 of 393)"),
        (None, "a clause"),
    ],
)
def test_the_reason_says_what_scored_a_clause_or_a_part_of_the_text(part: str | None, said: str) -> None:
    """A Chinese character window cuts across clauses: the reason calls it a part of the text, not a clause, and
    says where it is (the user's words stay in the evidence)."""
    details = {"clause_score": 0.9} | ({"clause_part": part} if part else {})
    signal = Signal(name=SIGNAL, score=0.5, evidence=("attack probability 0.50 (…)",), details=details)
    verdict = GUARD.check(GuardContext(question=QUESTION, signals={SIGNAL: signal}))
    assert verdict.fired and f"{said} reads like known attacks (probability 0.90 >= 0.80)" in verdict.reason
    assert "用它做文档问答" not in verdict.reason and "disregard it" not in verdict.reason
