"""Circuit breaker and latency budget: the two clocks that keep a slow or failing model from blocking.

Both are per-owner objects (the service keeps one breaker per model across requests; the chain makes one
budget per question), never module globals. The clock is injectable so tests need no sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from chains.errors import BudgetExceeded, Cancelled, CircuitOpen

Clock = Callable[[], float]


@dataclass
class CircuitBreaker:
    """Opens after `failures` consecutive transport failures; while open, calls are skipped for `cooldown_s`;
    then one trial call is let through (half-open) and its outcome closes or re-opens the circuit. While the
    trial is under way the other callers are still skipped: concurrent questions (serve's workers, several
    browser sessions) would otherwise all wait on a model that may still be hanging. A trial that reports
    neither outcome (its question ran out of budget first, or was withdrawn) holds the trial for `cooldown_s`
    at most; then the next caller is the trial."""

    name: str
    failures: int = 3
    cooldown_s: float = 30.0
    clock: Clock = time.monotonic
    _consecutive: int = field(default=0, init=False)
    _open_until: float = field(default=0.0, init=False)
    _trial_until: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def check(self) -> None:
        with self._lock:
            now = self.clock()
            left = self._open_until - now
            if left > 0:
                raise CircuitOpen(self.name, left)
            if self._consecutive < self.failures:
                return  # closed
            if now < self._trial_until:
                raise CircuitOpen(self.name, self._trial_until - now, trial=True)
            self._trial_until = now + self.cooldown_s  # half-open: this caller is the trial

    def record_success(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._open_until = 0.0
            self._trial_until = 0.0

    def record_failure(self) -> None:
        with self._lock:
            self._consecutive += 1
            self._trial_until = 0.0
            if self._consecutive >= self.failures:
                self._open_until = self.clock() + self.cooldown_s

    @property
    def is_open(self) -> bool:
        return self._open_until - self.clock() > 0


@dataclass(frozen=True)
class Budget:
    """Seconds one question may spend on model calls; checked before every call, retries included.
    `cancelled` (optional) is asked at the same points: a caller that went away spends nothing more."""

    seconds: float
    clock: Clock = time.monotonic
    started: float = field(default=-1.0)
    cancelled: Callable[[], bool] | None = None

    @classmethod
    def start(cls, seconds: float, clock: Clock = time.monotonic, *, cancelled: Callable[[], bool] | None = None) -> Budget:
        return cls(seconds=seconds, clock=clock, started=clock(), cancelled=cancelled)

    def remaining(self) -> float:
        return self.seconds - (self.clock() - self.started)

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled()
        if self.remaining() <= 0:
            raise BudgetExceeded(self.seconds)


@dataclass(frozen=True)
class CallLimit:
    """What one model call may still spend, for the transport under the model client: it ends a reply at
    `deadline` (time.monotonic()) and stops reading once `cancelled()` says the caller went away. The client's own
    timeout is per read, and the transport's fixed total is the whole budget: neither knows how much of the
    question's budget retrieval, earlier attempts and back-off have already spent."""

    deadline: float
    cancelled: Callable[[], bool] | None = None

    def caller_gone(self) -> bool:
        """Whether the caller went away (asked of `cancelled`; never, without one)."""
        return self.cancelled is not None and self.cancelled()


MODEL_CALL_LIMIT: ContextVar[CallLimit | None] = ContextVar("guarded_rag_model_call_limit", default=None)
"""Set around each model call by the generation ladder (per request and per thread, like any context variable)."""


@contextmanager
def model_call_limit(budget: Budget) -> Iterator[CallLimit]:
    """MODEL_CALL_LIMIT for the calls made inside: the budget's remaining seconds from now (never negative)."""
    limit = CallLimit(deadline=time.monotonic() + max(0.0, budget.remaining()), cancelled=budget.cancelled)
    token = MODEL_CALL_LIMIT.set(limit)
    try:
        yield limit
    finally:
        MODEL_CALL_LIMIT.reset(token)
