"""A total deadline for one model request, as an httpx transport wrapper below ChatOllama (either backend).

app.http_deadline ends a request whose reply, headers or body, is not complete `total_s` after sending (httpx's
own timeout is per read, so a server trickling a byte every few seconds would keep it alive forever). For a model
call it also ends sooner when the generation ladder has set a chains.circuit.CallLimit (the question's remaining
budget), and stops reading once the limit says the caller went away (chains.errors.Cancelled). The timeout is an
httpx.ReadTimeout: a transport error the ladder already retries and traces.

Composition-root code, like chaos.py.
"""

from __future__ import annotations

import time

from app.http_deadline import AsyncTotalDeadline, TotalDeadline, wire_transport
from chains.circuit import MODEL_CALL_LIMIT
from chains.errors import Cancelled

__all__ = ["AsyncDeadlineTransport", "DeadlineTransport", "wire_transport"]


class _ModelCall:
    """The model call's limit on top of the transport's own total."""

    what = "the model's reply"
    total_s: float

    def deadline(self) -> float:
        """`total_s` from now, or the model call's limit when that comes first."""
        own = time.monotonic() + self.total_s
        limit = MODEL_CALL_LIMIT.get()
        return own if limit is None else min(own, limit.deadline)

    def check(self) -> None:
        limit = MODEL_CALL_LIMIT.get()
        if limit is not None and limit.caller_gone():
            raise Cancelled()


class DeadlineTransport(_ModelCall, TotalDeadline):
    """Sync: the reply complete within `total_s` or by the model call's limit, whichever comes first."""


class AsyncDeadlineTransport(_ModelCall, AsyncTotalDeadline):
    """Async twin of DeadlineTransport."""
