"""Signals: the model-backed measurements guardrails decide on (embedding similarities, classifier scores,
lexical statistics). Each scorer computes one named Signal for one stage; the SignalBank, injected into
the chain, runs a stage's scorers once per request and hands their signals to that stage's guardrails.

App layer, beside documents/ and models/: scorers get built objects (the embedder) and never import the
service. A scorer that fails yields a Signal with `error` set instead of raising, so the guardrail that
needed it can say it decided without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast

from guardrails import GuardContext, GuardrailPolicy, Signal, Stage


class Scorer(Protocol):
    """Computes one signal for one stage (None when it has nothing to say about this context)."""

    @property
    def name(self) -> str: ...

    @property
    def stage(self) -> Stage: ...

    def score(self, ctx: GuardContext) -> Signal | None: ...


class PolicyScorer(Scorer, Protocol):
    """A scorer whose measurement depends on the policy (what the guardrails reading it will look at). The
    interface such a scorer implements; SignalBank finds it by its one method (_for_policy), so it is not
    runtime-checkable: isinstance against a protocol reads every member."""

    def for_policy(self, policy: GuardrailPolicy) -> Scorer: ...


@dataclass(frozen=True)
class SignalBank:
    """A chains.SignalProvider over a fixed set of scorers."""

    scorers: tuple[Scorer, ...] = ()

    def names(self, stage: Stage) -> tuple[str, ...]:
        """The signals this bank computes at `stage` (kept with a trace's inputs, for replay)."""
        return tuple(s.name for s in self.scorers if s.stage == stage)

    def for_policy(self, policy: GuardrailPolicy) -> SignalBank:
        """The bank as a request under `policy` needs it: each policy-dependent scorer set for it (this bank when
        none changes)."""
        scorers = tuple(_for_policy(s, policy) for s in self.scorers)
        return self if all(a is b for a, b in zip(scorers, self.scorers, strict=True)) else SignalBank(scorers)

    def __call__(self, stage: Stage, ctx: GuardContext) -> dict[str, Signal]:
        found: dict[str, Signal] = {}
        for scorer in self.scorers:
            if scorer.stage != stage:
                continue
            try:
                signal = scorer.score(ctx)
            except Exception as exc:
                signal = Signal(name=scorer.name, score=0.0, error=f"{type(exc).__name__}: {str(exc)[:200]}")
            if signal is not None:
                found[scorer.name] = signal
        return found


def _for_policy(scorer: Scorer, policy: GuardrailPolicy) -> Scorer:
    """`scorer` set for `policy` when it is a PolicyScorer, else itself. Asked once per request for every scorer:
    a look-up of the one method, not `isinstance(scorer, PolicyScorer)`, which reads every member of the runtime
    protocol on every scorer (~0.1 ms per request, a fiftieth of the input + retrieval budget)."""
    adapt = getattr(scorer, "for_policy", None)
    return cast(Scorer, adapt(policy)) if callable(adapt) else scorer
