"""SignalBank.for_policy runs once per request over every scorer. It sets the policy-dependent ones and keeps the
others, and for that it looks up `for_policy` alone: the runtime-protocol isinstance it used before read every
member of PolicyScorer on every scorer (~0.1 ms per request of the 5 ms input + retrieval budget)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.signals import SignalBank
from guardrails import GuardContext, GuardrailPolicy, Signal, Stage, load_policy


class Plain:
    """A scorer that does not depend on the policy, recording which of its attributes are read."""

    name: ClassVar[str] = "plain"
    stage: ClassVar[Stage] = "input"

    def __init__(self) -> None:
        self.reads: list[str] = []

    def __getattribute__(self, attr: str) -> Any:
        if not attr.startswith("_") and attr != "reads":
            object.__getattribute__(self, "reads").append(attr)
        return object.__getattribute__(self, attr)

    def score(self, ctx: GuardContext) -> Signal:
        return Signal(name=self.name, score=0.0)


@dataclass(frozen=True)
class Tuned:
    """A policy-dependent scorer: for_policy returns a copy that remembers the policy's input_size limit."""

    name: ClassVar[str] = "tuned"
    stage: ClassVar[Stage] = "input"
    limit: int | None = None
    asked: list[int] = field(default_factory=list, compare=False)

    def score(self, ctx: GuardContext) -> Signal:
        return Signal(name=self.name, score=float(self.limit or 0))

    def for_policy(self, policy: GuardrailPolicy) -> Tuned:
        limit = int(policy.params("input_size")["max_chars"])
        self.asked.append(limit)
        return self if limit == self.limit else Tuned(limit=limit, asked=self.asked)


def test_a_bank_of_scorers_that_ignore_the_policy_reads_only_for_policy_and_stays_the_same_bank():
    plain = Plain()
    bank = SignalBank((plain,))
    assert bank.for_policy(load_policy()) is bank
    assert plain.reads == ["for_policy"]


def test_a_policy_dependent_scorer_is_set_for_the_policy_and_the_others_kept():
    plain, tuned = Plain(), Tuned()
    policy = load_policy()
    bank = SignalBank((plain, tuned)).for_policy(policy)
    limit = int(policy.params("input_size")["max_chars"])
    assert bank.scorers[0] is plain and bank.scorers[1] == Tuned(limit=limit) and tuned.asked == [limit]
    assert bank.for_policy(policy) is bank  # already set: nothing changes
