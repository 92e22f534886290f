"""Deadlines for calls into dependencies that bring none of their own: Chroma (its local bindings, and an
HTTP client that waits forever on a frozen server), file reads on a stalled mount. App root: used by documents/.

The call runs on a worker thread and the caller waits at most `seconds`, then gets `DeadlineExceeded`.
Hand-written on purpose: concurrent.futures joins its pool threads at interpreter exit, so one stuck call
would hang the process on exit; daemon threads do not. In-flight calls are bounded, so stuck calls cannot pile
up threads: when every slot is taken, the next call fails within its deadline too.

By default every call gets a new daemon thread. A caller on a hot path (the index: two calls per question) keeps
up to `keep_idle` finished workers waiting for the next call instead: starting a thread blocks until it runs,
~0.1 ms idle and several times that on a busy 2-core machine (measured: 8.8% of a bench request's wall time
under pyinstrument), twice per question. An idle worker exits after `idle_seconds`; a stuck one never comes
back, so it keeps nothing from the next call but its slot.
"""

from __future__ import annotations

import os
import queue
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

    def __init__(self, name: str, *, max_in_flight: int = 16, keep_idle: int = 0, idle_seconds: float = 30.0) -> None:
        self._name = name
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._max = max_in_flight
        self._lock = threading.Lock()
        self._running = 0
        self._keep_idle = keep_idle
        self._idle_seconds = idle_seconds
        self._idle: list[_Worker] = []
        self._pid = os.getpid()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._running

    @property
    def idle_workers(self) -> int:
        with self._lock:
            return len(self._idle)

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

        self._start(work, f"{self._name}:{what}")
        if not done.wait(max(0.0, seconds - (time.monotonic() - started))):
            raise DeadlineExceeded(what, seconds)
        if "error" in box:
            raise box["error"]  # type: ignore[misc]  # a BaseException by construction
        return box["value"]  # type: ignore[return-value]  # fn's own return value

    def _start(self, work: Callable[[], None], name: str) -> None:
        if not self._keep_idle:
            threading.Thread(target=work, name=name, daemon=True).start()
            return
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's idle workers have no thread here
                self._idle.clear()
                self._pid = os.getpid()
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self, name)
        worker.jobs.put((name, work))

    def _rest(self, worker: _Worker) -> bool:
        """A worker finished its call: kept for the next one (True) or told to exit (False)."""
        with self._lock:
            if len(self._idle) < self._keep_idle and self._pid == os.getpid():
                self._idle.append(worker)
                return True
            return False

    def _retire(self, worker: _Worker) -> bool:
        """An idle worker waited `idle_seconds` for a call: it exits (True), unless a caller took it meanwhile."""
        with self._lock:
            if worker in self._idle:
                self._idle.remove(worker)
                return True
            return False


class _Worker:
    """One daemon thread that runs the calls it is handed, one at a time, and rests between them."""

    def __init__(self, pool: Deadlines, name: str) -> None:
        self.jobs: queue.SimpleQueue[tuple[str, Callable[[], None]]] = queue.SimpleQueue()
        self._pool = pool
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                name, job = self.jobs.get(timeout=self._pool._idle_seconds)
            except queue.Empty:
                if self._pool._retire(self):
                    return
                continue  # a caller took this worker as it timed out: its call is on the way
            threading.current_thread().name = name  # what the thread runs now, for a thread dump
            job()  # never raises: `work` keeps fn's exception for its caller
            if not self._pool._rest(self):
                return
