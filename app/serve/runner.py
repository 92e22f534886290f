"""Bounded work for the HTTP service: at most `max_inflight` questions run (each on a worker thread, since
GuardedRAG.ask is synchronous), at most `max_queue` wait for a slot, and anything beyond is refused at once
with Busy (the route answers 503 + Retry-After, as Ollama does when its queue is full).

A Job bridges one ask to asyncio: `ticks()` yields None every keep-alive interval while the question waits
or runs, then the AskResponse. A consumer that stops early (the client disconnected) withdraws the job:
its cancel flag is set, the chain starts no further model call, and the slot is freed only when the
thread is done, so the bound on threads holds even for abandoned work. A job withdrawn while it still waits
for a slot stops counting against the queue at once (it still runs, without a model call, to leave its trace):
clients that gave up must not fill the queue and turn the next ones away with 503.

Shutdown (`begin_shutdown`, called by the server when it stops accepting): answers under way get the drain time;
then every question is withdrawn (each answers from the documents, no further model call, and is traced), and a
reply still waiting a grace period later ends with ShuttingDown, in its dialect's error shape, before the server
would cut the connection.
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
from dataclasses import dataclass

from starlette.requests import Request

from app import AskResponse, percentile
from app.serve.metrics import Metrics

RECENT = 20  # finished questions the Retry-After estimate looks at

AskCall = Callable[[Callable[[], bool]], AskResponse]  # given "is it cancelled?", answers one question


class Busy(Exception):
    def __init__(self, retry_after: int, inflight: int, queue: int, *, stopping: bool = False) -> None:
        # The limits, not a running/waiting split: a question admitted a moment ago may not have started yet,
        # which read as "0 being answered and 3 waiting" on a server answering as many as it can.
        super().__init__(
            "the server is shutting down: it takes no new questions"
            if stopping
            else f"busy: the server is answering and holding all it takes ({inflight} at once, {queue} more waiting); "
            f"retry in {retry_after} s"
        )
        self.retry_after = retry_after


class ClientGone(Exception):
    """The client disconnected before its (non-streamed) answer was ready."""


class ShuttingDown(Exception):
    """The server is stopping and this question's answer was not ready within the drain time and grace."""


@dataclass
class _Entry:
    """The runner's view of one admitted question."""

    cancel: threading.Event
    started: bool = False  # has its slot
    ghost: bool = False  # withdrawn while waiting: no longer counted against the queue


class Job:
    def __init__(self, task: asyncio.Task[AskResponse], runner: Runner) -> None:
        self._task = task
        self._runner = runner

    def withdraw(self) -> None:
        self._runner.withdraw(self._task)

    async def ticks(self, every: float) -> AsyncGenerator[AskResponse | None, None]:
        finished = False
        giving_up = asyncio.ensure_future(self._runner.gave_up.wait())
        try:
            while True:
                done, _ = await asyncio.wait({self._task, giving_up}, timeout=every, return_when=asyncio.FIRST_COMPLETED)
                if self._task in done:
                    finished = True
                    yield self._task.result()
                    return
                if giving_up in done:
                    raise ShuttingDown()
                yield None
        finally:
            giving_up.cancel()
            if not finished:  # closed or cancelled before the answer: the client is gone (or the server is)
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
        self._jobs: dict[asyncio.Task[AskResponse], _Entry] = {}
        self._ghosts = 0  # withdrawn while waiting for a slot (at most max_queue of them stop counting)
        self.stopping = False
        self.gave_up = asyncio.Event()  # set `grace` s after the drain time: replies still waiting end

    def submit(self, call: AskCall) -> Job:
        """Admit a question or raise Busy. Runs on the event loop (so the counters need no lock)."""
        if self.stopping:
            raise Busy(self.retry_after(), self.max_inflight, self.max_queue, stopping=True)
        if self._admitted >= self.max_inflight + self.max_queue:
            raise Busy(self.retry_after(), self.max_inflight, self.max_queue)
        entry = _Entry(cancel=threading.Event())
        self._admitted += 1
        task = asyncio.get_running_loop().create_task(self._run(call, entry))
        self._jobs[task] = entry
        self._gauges()
        task.add_done_callback(self._finished)
        return Job(task, self)

    def withdraw(self, task: asyncio.Task[AskResponse], *, client_gone: bool = True) -> None:
        """The caller is gone: no further model call starts. One still waiting for a slot stops counting against
        the queue now (up to max_queue of them, so abandoned requests cannot pile up without bound)."""
        entry = self._jobs.get(task)
        if entry is None or task.done() or entry.cancel.is_set():
            return
        entry.cancel.set()
        if client_gone:  # not the server's own withdrawals at shutdown
            self._metrics.disconnects.inc()
        if not entry.started and self._ghosts < self.max_queue:
            entry.ghost = True
            self._ghosts += 1
            self._admitted -= 1
            self._gauges()

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: a question's time times the waves ahead. A question's time is
        the slow end of the recent ones (their 90th percentile: refusals take milliseconds and answers tens of
        seconds, and an average of both sent clients back while the queue took 28 s to drain) or the time of
        the longest one running, when that is longer (before any has finished it is the only evidence)."""
        typical = percentile(list(self._recent), 90) or 1.0  # 1 s until a question has finished
        longest = time.perf_counter() - min(self._since.values()) if self._since else 0.0
        waves = self._waiting() / self.max_inflight + 1
        return max(1, min(300, math.ceil(max(typical, longest) * waves)))

    async def _run(self, call: AskCall, entry: _Entry) -> AskResponse:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_inflight)
        queued = time.perf_counter()
        async with self._slots:
            self._metrics.queue_seconds.observe(time.perf_counter() - queued)
            entry.started = True
            self._running += 1
            self._gauges()
            started = time.perf_counter()
            self._since[id(entry)] = started
            try:
                return await asyncio.get_running_loop().run_in_executor(self._pool, call, entry.cancel.is_set)
            finally:
                self._running -= 1
                self._since.pop(id(entry), None)
                if not entry.ghost:  # a withdrawn question answers in milliseconds: no estimate of a real one
                    self._recent.append(time.perf_counter() - started)

    def _finished(self, task: asyncio.Task[AskResponse]) -> None:
        entry = self._jobs.pop(task, None)
        if entry is not None and entry.ghost:
            self._ghosts -= 1
        else:
            self._admitted -= 1
        self._gauges()

    def _waiting(self) -> int:
        return sum(1 for e in self._jobs.values() if not e.started and not e.ghost)

    def _gauges(self) -> None:
        self._metrics.inflight.set(self._running)
        self._metrics.queued.set(self._waiting())

    @property
    def pending(self) -> int:
        return self._admitted

    def begin_shutdown(self, drain: float, grace: float) -> None:
        """The server has stopped accepting (SIGTERM/SIGINT). Admit nothing more; `drain` s from now withdraw every
        question (no further model call: each answers from the documents and is traced), and `grace` s after
        that end the replies still waiting (ShuttingDown), so no client sees its connection cut."""
        if self.stopping:
            return
        self.stopping = True
        loop = asyncio.get_running_loop()
        loop.call_later(drain, self.withdraw_all)
        loop.call_later(drain + grace, self.give_up)

    def withdraw_all(self) -> None:
        for task in list(self._jobs):
            self.withdraw(task, client_gone=False)

    def give_up(self) -> None:
        self.withdraw_all()
        self.gave_up.set()

    async def drain(self, timeout: float) -> int:
        """Wait for admitted questions (their clients may be gone) up to `timeout`; withdraw what is left so no
        further model call starts, and wait up to `timeout` once more for them to finish: a withdrawn question
        ends after the model call under way and writes its trace, which a process ending now would lose.
        Returns how many were still unfinished."""
        tasks = set(self._jobs)
        left: set[asyncio.Task[AskResponse]] = set()
        if tasks:
            _, left = await asyncio.wait(tasks, timeout=timeout)
        fresh = {task for task in left if task in self._jobs and not self._jobs[task].cancel.is_set()}
        if fresh:  # withdrawn only now (no begin_shutdown before): they get the time once more to leave their traces
            for task in fresh:
                self.withdraw(task, client_gone=False)
            _, still = await asyncio.wait(fresh, timeout=timeout)
            left = (left - fresh) | still
        self._pool.shutdown(wait=False, cancel_futures=True)
        return len(left)
