"""Deadlines for calls into dependencies that bring none of their own: Chroma (its local bindings, and an
HTTP client that waits forever on a frozen server), file reads on a stalled mount. App root: used by documents/.

The call runs on a worker thread and the caller waits at most `seconds`, then gets `DeadlineExceeded`.
Hand-written on purpose: concurrent.futures joins its pool threads at interpreter exit, so one stuck call
would hang the process on exit; a daemon thread per call (~60 µs) does not. In-flight calls are bounded, so
stuck calls cannot pile up threads: when every slot is taken, the next call fails within its deadline too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DeadlineExceeded(RuntimeError):
    """A call did not finish within its deadline. (Not a TimeoutError: the model ladder's transport tuples
    catch TimeoutError, and an index or file stall must not pass for a model failure.)"""

    def __init__(self, what: str, seconds: float, *, detail: str = "") -> None:
        super().__init__(f"{what} did not finish within {round(seconds, 2):g} s" + (f" ({detail})" if detail else ""))
        self.what = what
        self.seconds = seconds


class NoSlotLeft(DeadlineExceeded):
    """Every slot was taken by a stuck call for the whole deadline: `fn` never ran."""


class Deadlines:
    """Runs calls with a deadline on daemon threads; at most `max_in_flight` at once (stuck ones included)."""

    def __init__(self, name: str, *, max_in_flight: int = 16) -> None:
        self._name = name
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._max = max_in_flight
        self._lock = threading.Lock()
        self._running = 0

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._running

    def call(self, fn: Callable[[], T], *, seconds: float, what: str) -> T:
        """fn() or its exception, re-raised here; DeadlineExceeded when it takes longer than `seconds`
        (the abandoned call keeps its slot until it really returns)."""
        started = time.monotonic()
        if not self._slots.acquire(timeout=seconds):
            raise NoSlotLeft(what, seconds, detail=f"all {self._max} {self._name} call slots are taken by stuck calls")
        with self._lock:
            self._running += 1
        done = threading.Event()
        box: dict[str, object] = {}

        def work() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:
                box["error"] = exc
            finally:
                with self._lock:
                    self._running -= 1
                self._slots.release()
                done.set()

        threading.Thread(target=work, name=f"{self._name}:{what}", daemon=True).start()
        if not done.wait(max(0.0, seconds - (time.monotonic() - started))):
            raise DeadlineExceeded(what, seconds)
        if "error" in box:
            raise box["error"]  # type: ignore[misc]  # a BaseException by construction
        return box["value"]  # type: ignore[return-value]  # fn's own return value
