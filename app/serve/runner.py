"""Bounded work for the HTTP service: at most `max_inflight` questions run (each on a worker thread, since
GuardedRAG.ask is synchronous), at most `max_queue` wait for a slot, and anything beyond is refused at once
with Busy (the route answers 503 + Retry-After, as Ollama does when its queue is full).

A Job bridges one ask to asyncio: `ticks()` yields None every keep-alive interval while the question waits
or runs, then the AskResponse. A consumer that stops early (the client disconnected) withdraws the job:
its cancel flag is set, the chain starts no further model call, and the slot is freed only when the
thread is done, so the bound on threads holds even for abandoned work.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing

from starlette.requests import Request

from app import AskResponse, percentile
from app.serve.metrics import Metrics

RECENT = 20  # finished questions the Retry-After estimate looks at

AskCall = Callable[[Callable[[], bool]], AskResponse]  # given "is it cancelled?", answers one question


class Busy(Exception):
    def __init__(self, retry_after: int, inflight: int, queue: int) -> None:
        # The limits, not a running/waiting split: a question admitted a moment ago may not have started yet,
        # which read as "0 being answered and 3 waiting" on a server answering as many as it can.
        super().__init__(
            f"busy: the server is answering and holding all it takes ({inflight} at once, {queue} more waiting); "
            f"retry in {retry_after} s"
        )
        self.retry_after = retry_after


class ClientGone(Exception):
    """The client disconnected before its (non-streamed) answer was ready."""


class Job:
    def __init__(self, task: asyncio.Task[AskResponse], cancel: threading.Event, metrics: Metrics) -> None:
        self._task = task
        self._cancel = cancel
        self._metrics = metrics

    def withdraw(self) -> None:
        if not self._task.done() and not self._cancel.is_set():
            self._cancel.set()
            self._metrics.disconnects.inc()

    async def ticks(self, every: float) -> AsyncGenerator[AskResponse | None, None]:
        finished = False
        try:
            while True:
                done, _ = await asyncio.wait({self._task}, timeout=every)
                if done:
                    finished = True
                    yield self._task.result()
                    return
                yield None
        finally:
            if not finished:  # closed or cancelled before the answer: the client is gone
                self.withdraw()

    async def result(self, request: Request, every: float) -> AskResponse:
        """The answer; while waiting, look for a disconnect at every tick (a plain response has no stream
        to notice it on)."""
        async with aclosing(self.ticks(every)) as ticks:
            async for item in ticks:
                if item is not None:
                    return item
                if await request.is_disconnected():
                    self.withdraw()
                    raise ClientGone()
        raise ClientGone()  # unreachable: ticks ends with the answer


class Runner:
    def __init__(self, *, max_inflight: int, max_queue: int, metrics: Metrics) -> None:
        self.max_inflight = max_inflight
        self.max_queue = max_queue
        self._metrics = metrics
        self._pool = ThreadPoolExecutor(max_workers=max_inflight, thread_name_prefix="guarded-rag-ask")
        self._slots: asyncio.Semaphore | None = None
        self._admitted = 0
        self._running = 0
        self._recent: deque[float] = deque(maxlen=RECENT)  # the last questions' times, for Retry-After
        self._since: dict[int, float] = {}  # start time of each question being answered, by id
        self._jobs: dict[asyncio.Task[AskResponse], threading.Event] = {}

    def submit(self, call: AskCall) -> Job:
        """Admit a question or raise Busy. Runs on the event loop (so the counters need no lock)."""
        if self._admitted >= self.max_inflight + self.max_queue:
            raise Busy(self.retry_after(), self.max_inflight, self.max_queue)
        cancel = threading.Event()
        self._admitted += 1
        self._gauges()
        task = asyncio.get_running_loop().create_task(self._run(call, cancel))
        self._jobs[task] = cancel
        task.add_done_callback(self._finished)
        return Job(task, cancel, self._metrics)

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: a question's time times the waves ahead. A question's time is
        the slow end of the recent ones (their 90th percentile: refusals take milliseconds and answers tens of
        seconds, and an average of both sent clients back while the queue took 28 s to drain) or the time of
        the longest one running, when that is longer (before any has finished it is the only evidence)."""
        typical = percentile(list(self._recent), 90) or 1.0  # 1 s until a question has finished
        longest = time.perf_counter() - min(self._since.values()) if self._since else 0.0
        waves = (self._admitted - self._running) / self.max_inflight + 1
        return max(1, min(300, math.ceil(max(typical, longest) * waves)))

    async def _run(self, call: AskCall, cancel: threading.Event) -> AskResponse:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_inflight)
        queued = time.perf_counter()
        async with self._slots:
            self._metrics.queue_seconds.observe(time.perf_counter() - queued)
            self._running += 1
            self._gauges()
            started = time.perf_counter()
            self._since[id(cancel)] = started
            try:
                return await asyncio.get_running_loop().run_in_executor(self._pool, call, cancel.is_set)
            finally:
                self._running -= 1
                self._since.pop(id(cancel), None)
                self._recent.append(time.perf_counter() - started)

    def _finished(self, task: asyncio.Task[AskResponse]) -> None:
        self._jobs.pop(task, None)
        self._admitted -= 1
        self._gauges()

    def _gauges(self) -> None:
        self._metrics.inflight.set(self._running)
        self._metrics.queued.set(self._admitted - self._running)

    @property
    def pending(self) -> int:
        return self._admitted

    async def drain(self, timeout: float) -> int:
        """Wait for admitted questions (their clients may be gone) up to `timeout`; withdraw what is left so no
        further model call starts. Returns how many were still running."""
        tasks = set(self._jobs)
        left: set[asyncio.Task[AskResponse]] = set()
        if tasks:
            _, left = await asyncio.wait(tasks, timeout=timeout)
        for task in left:
            self._jobs.get(task, threading.Event()).set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        return len(left)
