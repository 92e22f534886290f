"""The circuit breaker's states on a fake clock: closed, open for the cool-down, then half-open with one trial
call at a time (the others still skipped), closed again by the trial's success or re-opened by its failure."""

from __future__ import annotations

import pytest

from chains import CircuitBreaker
from chains.errors import CircuitOpen


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def opened(failures: int = 2) -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    breaker = CircuitBreaker(name="ollama:qwen", failures=failures, cooldown_s=30, clock=clock)
    for _ in range(failures):
        breaker.check()
        breaker.record_failure()
    return breaker, clock


def test_closed_until_the_failures_in_a_row_then_open_for_the_cooldown() -> None:
    breaker, clock = opened(failures=2)
    with pytest.raises(CircuitOpen, match="open for another 30 s") as caught:
        breaker.check()
    assert not caught.value.trial and breaker.is_open
    clock.now = 29.0
    with pytest.raises(CircuitOpen):
        breaker.check()


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_after_the_cooldown_one_trial_call_at_a_time_and_its_outcome_decides(outcome: str) -> None:
    breaker, clock = opened()
    clock.now = 31.0
    breaker.check()  # the trial
    for _ in range(3):  # concurrent callers while the trial runs: skipped, and told why
        with pytest.raises(CircuitOpen, match=r"one trial call .* is under way") as caught:
            breaker.check()
        assert caught.value.trial
    if outcome == "success":
        breaker.record_success()
        for _ in range(3):
            breaker.check()  # closed: everyone passes
    else:
        breaker.record_failure()
        with pytest.raises(CircuitOpen, match="open for another 30 s"):
            breaker.check()
        clock.now = 62.0
        breaker.check()  # the next cool-down over: another single trial
        with pytest.raises(CircuitOpen, match="trial"):
            breaker.check()


def test_a_trial_that_never_reports_holds_the_trial_for_one_cooldown_only() -> None:
    """A trial whose question ran out of budget or was withdrawn reports neither outcome; the breaker must not
    stay half-open with its one trial taken for ever."""
    breaker, clock = opened()
    clock.now = 31.0
    breaker.check()
    clock.now = 60.0
    with pytest.raises(CircuitOpen, match="trial"):
        breaker.check()
    clock.now = 61.5
    breaker.check()  # the lost trial's hold ran out: this caller is the new trial
    with pytest.raises(CircuitOpen, match="trial"):
        breaker.check()
