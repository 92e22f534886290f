"""Error classes of the chains layer: small, and each carries the context needed to trace or re-ask.

They keep three kinds of failure apart (pydantic-ai style): a *retry signal* (bad output -> re-ask),
a *transport failure* (-> retry, then the next rung) and everything else (a bug -> propagates).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from guardrails import Verdict


class OutputRejected(Exception):
    """The model's reply was unusable; re-asking with this message as feedback may fix it."""

    def __init__(self, message: str, *, raw: str, attempt: int = 1, grounding_strikes: int = 0) -> None:
        super().__init__(message)
        self.raw = raw
        self.attempt = attempt
        # How many times in a row the output guardrails rejected this model's answers (bounds re-asks).
        self.grounding_strikes = grounding_strikes
        # The prompt the attempt used when it differs from the request's (refitted to a smaller context): the
        # re-ask starts from it. Keys: messages, schema, chunks.
        self.view: dict[str, Any] | None = None
        # The rung whose attempt this was: a rung must tell its own rejections from a previous rung's (a
        # rejection can reach the next rung inside its input).
        self.rung: str | None = None

    @property
    def feedback(self) -> str:
        return str(self)


class OutputParseError(OutputRejected):
    """No rung of the parse ladder produced a valid answer object."""

    def __init__(
        self, message: str, *, raw: str, rung_errors: Sequence[str], attempt: int = 1, grounding_strikes: int = 0
    ) -> None:
        super().__init__(message, raw=raw, attempt=attempt, grounding_strikes=grounding_strikes)
        self.rung_errors = tuple(rung_errors)


class UngroundedAnswer(OutputRejected):
    """Parsed, but an output guardrail (citations, grounding) fired."""

    def __init__(
        self, message: str, *, raw: str, verdicts: Sequence[Verdict], attempt: int = 1, grounding_strikes: int = 1
    ) -> None:
        super().__init__(message, raw=raw, attempt=attempt, grounding_strikes=grounding_strikes)
        self.verdicts = tuple(verdicts)


def rejection_feedback(fired: Sequence[Verdict]) -> str:
    """The feedback a re-ask sends the model after output guardrails fired (the policy lab compares it: a
    different feedback means a re-ask prompt the model never saw)."""
    return "; ".join(f"{v.name}: {v.reason}" for v in fired)


class ThinkingOnly(OutputRejected):
    """The reply was all reasoning (a thinking model) and no answer: re-ask for the JSON object only."""


class ContextOverflow(OutputRejected):
    """The reply was cut off because prompt and reply filled the model's real context, which is smaller than
    num_ctx: the re-ask sends the prompt fitted to `window` tokens."""

    def __init__(self, message: str, *, raw: str, window: int, attempt: int = 1, grounding_strikes: int = 0) -> None:
        super().__init__(message, raw=raw, attempt=attempt, grounding_strikes=grounding_strikes)
        self.window = window


class ReasksExhausted(Exception):
    """Every re-ask on one model was rejected; the model ladder moves to its next rung."""

    def __init__(self, rung: str, last: OutputRejected) -> None:
        super().__init__(f"{rung}: {last.__class__.__name__} after {last.attempt} attempt(s): {last}")
        self.rung = rung
        self.last = last


class CircuitOpen(Exception):
    """The breaker for this model is open: skip it without a call (cool-down after repeated failures)."""

    def __init__(self, rung: str, seconds_left: float, *, trial: bool = False) -> None:
        why = (
            "circuit half-open: one trial call after repeated failures is under way"
            if trial
            else f"circuit open for another {seconds_left:.0f} s after repeated failures"
        )
        super().__init__(f"{rung} skipped: {why}")
        self.rung = rung
        self.seconds_left = seconds_left
        self.trial = trial


class BudgetExceeded(Exception):
    """The per-question latency budget is spent: stop calling models, answer from the documents."""

    def __init__(self, budget_s: float) -> None:
        super().__init__(f"latency budget of {budget_s:.0f} s spent")
        self.budget_s = budget_s


class Cancelled(BudgetExceeded):
    """The caller withdrew the question (e.g. an HTTP client disconnected): start no further model call.
    A BudgetExceeded, so the chain ends the same way (answer from the documents, no model) and says why."""

    def __init__(self) -> None:
        Exception.__init__(
            self, "the question was withdrawn (its client went away, or the server is shutting down): no further model call"
        )
        self.budget_s = 0.0


class WarmupFailed(Exception):
    """Loading a cold model failed; recorded in the trace, then the (retried) model call decides."""
