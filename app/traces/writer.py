"""The trace store's background writer: saves go to one thread, batched into one transaction, so persisting a trace
is off the request's critical path; `flush` waits for what was queued, `close` drains the queue and runs at
interpreter exit too, so a CLI run loses nothing. `on_saved` sees each batch once it is stored (the OpenTelemetry
export hangs there).

A failed save is retried with backoff (a stopped server, a locked file) unless the backend says it *rejects* the
data (`rejects(exc)`: a constraint or a value it will refuse every time). Then the batch is saved one record at a
time and each rejected record goes to the dead-letter file as JSON (`dead_letter`), so one bad record neither
wedges the writer (before: the whole batch retried forever, every later trace queued behind it, and once the queue
was full every request waited for room) nor is lost.

Hand-written rather than a library: it is a queue, a condition and one thread; what matters is the contract
(ordered, batched, never dropped, bounded memory), which the tests pin.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from app.traces.backends import TraceBackend
from app.traces.dead_letter import error_text, set_aside
from app.traces.models import TraceRecord
from app.traces.storable import storable

log = logging.getLogger("guarded_rag.traces")


class WriterStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    location: str
    pending: int
    written: int
    failures: int
    unbuildable: int = 0
    rejected: int = 0  # records the backend refused, written to `dead_letter` instead
    overflowed: int = 0  # records that found the queue full while the backend was failing: in `dead_letter` too
    dead_letter: str | None = None
    last_error: str | None = None
    schema_version: int | None = None
    failing: bool = False


class TraceWriter:
    """Writes the records handed to `save` to `backend`: on one background thread, or synchronously with
    `background=False` (one process tools) and once closed."""

    def __init__(
        self,
        backend: TraceBackend,
        *,
        background: bool = True,
        batch: int = 64,
        max_pending: int = 10_000,
        on_saved: Callable[[Sequence[TraceRecord]], None] | None = None,
        dead_letter: Path | None = None,
    ) -> None:
        self._backend = backend
        self._on_saved = on_saved
        self._failing = False  # the last save failed: reads stop waiting for the writer until one succeeds
        self._background = background
        self._batch = batch
        self._max_pending = max_pending
        self._queue: deque[TraceRecord | Callable[[], TraceRecord]] = deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._taken: list[TraceRecord | Callable[[], TraceRecord]] = []  # the items in flight (close() keeps them)
        self._closed = False
        self._written = 0
        self._failures = 0
        self._unbuildable = 0
        self._rejected = 0
        self._overflowed = 0
        self._dead_letter = dead_letter
        self._last_error: str | None = None
        self._thread: threading.Thread | None = None
        atexit.register(_close_at_exit, weakref.ref(self))

    @property
    def failing(self) -> bool:
        """The last save failed (and none has succeeded since)."""
        return self._failing

    def save(self, record: TraceRecord | Callable[[], TraceRecord]) -> None:
        """Queue `record` for the writer (or write it now when not in background mode). A callable is called on
        the writer thread: building the record (dumping the result, copying events) leaves the request path
        too. When the queue is full and the backend is slow, wait for room: back-pressure, never a dropped trace.
        When it is full and the backend is failing (a server down, a full disk), the record goes to the
        dead-letter file instead (`traces import` takes it back): before, every request then waited for room
        for as long as the backend stayed down, and a service stopped answering because its trace store had."""
        if not self._background or self._closed:
            self._save_now(record)
            return
        with self._cond:
            overflow = self._wait_for_room()
            if not overflow:
                self._queue.append(record)
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="trace-writer", daemon=True)
                    self._thread.start()
                self._cond.notify_all()
        if overflow:
            self._overflow(record)

    def _save_now(self, item: TraceRecord | Callable[[], TraceRecord]) -> None:
        """Write `item` on the caller's thread (not in background mode, or once closed: a request that finished
        after the service closed its store). A record the backend cannot take now (a server gone, a locked file)
        goes to the dead-letter file, as close() does with what it could not write: before, the backend's error
        was raised into the request that saved it, and the trace was lost. One that cannot be built is counted."""
        built = self._build([item])
        if not built:
            return
        saved, unsaved, failure = self._save_or_set_aside(built)
        self._saved(saved)
        if failure is not None:
            log.error("a trace could not be written to %s: %s", self._backend.location, error_text(failure))
            for record in unsaved:
                self._set_aside(record, failure)
        with self._cond:
            self._written += len(saved)
        if self._closed:
            self._release()

    def _wait_for_room(self) -> bool:
        """Under the condition: wait while the queue is full; True when the record is to go to the dead-letter
        file instead (full, and the backend failing)."""
        while len(self._queue) >= self._max_pending and not self._closed:
            if self._failing and self._dead_letter is not None:
                return True
            self._cond.wait(timeout=1.0)
        return False

    def _overflow(self, item: TraceRecord | Callable[[], TraceRecord]) -> None:
        """A record that found the queue full while the backend fails: counted, and kept in the dead-letter file."""
        try:
            record = storable(_built(item))
        except Exception as exc:
            log.exception("a trace record could not be built; it is lost")
            with self._cond:
                self._unbuildable += 1
                self._last_error = error_text(exc)
            return
        with self._cond:
            self._overflowed += 1
            error = f"the trace queue was full ({self._max_pending}) while saving failed: {self._last_error}"
        set_aside(self._dead_letter, record, location=self._backend.location, error=error)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                items = [self._queue.popleft() for _ in range(min(len(self._queue), self._batch))]
                self._in_flight = len(items)
                self._taken = items
            saved, unsaved, failure = self._save_or_set_aside(self._build(items))
            self._stored(saved, finished=failure is None)
            if failure is not None:
                self._retry_later(unsaved, failure)

    def _stored(self, batch: Sequence[TraceRecord], *, finished: bool) -> None:
        """`batch` is written; `finished`: nothing of the writer's current items is left to retry."""
        self._saved(batch)  # before the batch counts as done: flush() and close() include the hand-off to export
        with self._cond:
            self._written += len(batch)
            if finished:
                self._in_flight = 0
                self._taken = []
                self._failing = False
            self._cond.notify_all()

    def _retry_later(self, batch: list[TraceRecord], exc: Exception) -> None:
        with self._cond:
            self._queue.extendleft(reversed(batch))
            self._failures += 1
            self._failing = True
            self._last_error = error_text(exc)
            self._in_flight = 0
            self._taken = []
            self._cond.notify_all()
        log.warning("saving %d trace(s) failed (%s); retrying", len(batch), self._last_error)
        time.sleep(min(5.0, 0.1 * 2 ** min(self._failures, 6)))

    def _save_or_set_aside(self, batch: list[TraceRecord]) -> tuple[list[TraceRecord], list[TraceRecord], Exception | None]:
        """(saved, not saved, the failure to retry). One transaction for the batch; when the backend rejects the
        data, one record at a time, and each rejected record set aside (dead letter) rather than retried."""
        try:
            self._backend.save_many(batch)
        except Exception as exc:
            if not self._rejects(exc):
                return [], batch, exc
            return self._one_by_one(batch)
        return batch, [], None

    def _rejects(self, exc: Exception) -> bool:
        rejects = getattr(self._backend, "rejects", None)
        return bool(callable(rejects) and rejects(exc))

    def _one_by_one(self, batch: list[TraceRecord]) -> tuple[list[TraceRecord], list[TraceRecord], Exception | None]:
        """Save each record alone: (saved, not yet saved, the transient failure that stopped it). A record the
        backend rejects is set aside (dead letter); a transient failure stops here, the rest is retried later."""
        saved: list[TraceRecord] = []
        for index, record in enumerate(batch):
            try:
                self._backend.save_many([record])
            except Exception as exc:
                if not self._rejects(exc):
                    return saved, batch[index:], exc
                self._set_aside(record, exc)
                continue
            saved.append(record)
        return saved, [], None

    def _set_aside(self, record: TraceRecord, exc: Exception) -> None:
        """A record the backend refused: counted, and kept in the dead-letter file (app/traces/dead_letter.py)."""
        error = error_text(exc)
        with self._cond:
            self._rejected += 1
            self._last_error = error
        set_aside(self._dead_letter, record, location=self._backend.location, error=error)

    def _saved(self, batch: Sequence[TraceRecord]) -> None:
        """Tell the listener (export): its failure is logged, never the store's failure or a lost trace."""
        if self._on_saved is None or not batch:
            return
        try:
            self._on_saved(batch)
        except Exception:
            log.exception("the on_saved listener failed for %d trace(s); they are stored", len(batch))

    def _build(self, items: list[TraceRecord | Callable[[], TraceRecord]]) -> list[TraceRecord]:
        """Records from queued items. One that cannot be built is a bug, not a storage fault: retrying cannot
        help and must not wedge the writer, so it is logged with its traceback, counted, and skipped."""
        built = []
        for item in items:
            try:
                built.append(storable(_built(item)))
            except Exception as exc:
                log.exception("a trace record could not be built; it is lost")
                with self._cond:
                    self._unbuildable += 1
                    self._last_error = error_text(exc)
        return built

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued trace is written; False if that did not happen within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(timeout=left)
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued and stop the writer. Later saves are written synchronously."""
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5.0)
        stuck = thread is not None and thread.is_alive()
        if not stuck:
            self._release()  # the writer is gone: its kept connection with it (a stuck writer keeps its own)
        with self._cond:
            # A writer stuck in a save (a server gone: each attempt waits out the pool timeout) holds its batch
            # out of the queue: taken here too, else it ended with the process, neither saved nor set aside.
            left = [*(self._taken if stuck and self._in_flight else ()), *self._queue]
        if left:  # the backend kept failing: one last synchronous try, so nothing is silently dropped
            saved, unsaved, failure = self._save_or_set_aside(self._build(left))
            self._saved(saved)
            if failure is not None:
                # The process is ending and the backend still fails (a read-only file, a server gone): the traces
                # go to the dead-letter file, whole, to import once the store takes them (they were only logged).
                log.error("%d trace(s) could not be written to %s: %s", len(unsaved), self._backend.location, error_text(failure))
                for record in unsaved:
                    self._set_aside(record, failure)
                self._queue.clear()
                return
            self._release()
            self._queue.clear()

    def _release(self) -> None:
        release = getattr(self._backend, "release", None)
        if callable(release):
            release()

    def status(self) -> WriterStatus:
        with self._cond:
            return WriterStatus(
                location=self._backend.location,
                pending=len(self._queue) + self._in_flight,
                written=self._written,
                failures=self._failures,
                unbuildable=self._unbuildable,
                rejected=self._rejected,
                overflowed=self._overflowed,
                dead_letter=str(self._dead_letter) if self._dead_letter is not None else None,
                last_error=self._last_error,
                schema_version=getattr(self._backend, "schema_version", None),
                failing=self._failing,
            )


def _built(item: TraceRecord | Callable[[], TraceRecord]) -> TraceRecord:
    return item if isinstance(item, TraceRecord) else item()


def _close_at_exit(ref: weakref.ref[TraceWriter]) -> None:
    writer = ref()
    if writer is not None:
        writer.close(timeout=10.0)
