"""The service's trace store. Saves go to one background writer, batched into one transaction, so persisting
a trace is off the request's critical path; reads first wait for the saves made before them (read your
writes) unless the backend is failing; close() drains the queue and runs at interpreter exit too, so a CLI
run loses nothing. `on_saved` sees each batch once it is stored (the OpenTelemetry export hangs there).

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
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from app.traces.dead_letter import error_text, kept_record, set_aside
from app.traces.inputs import paused_gc
from app.traces.models import (
    ImportedTrace,
    ImportResult,
    TraceFilter,
    TraceLabel,
    TraceRecord,
    TraceStoreError,
    merge_labels,
    storable,
)
from app.traces.sqlite import SqliteTraceBackend
from guardrails import describe_validation

log = logging.getLogger("guarded_rag.traces")


class TraceBackend(Protocol):
    """Where traces are kept (SQLite by default, PostgreSQL when GUARDED_RAG_TRACE_DB is a URL). A backend may
    also have `close()` (release connections), `release()` (drop what it keeps between saves, once the writer
    has stopped), `rejects(exc)` (True when a failed save_many refused the data itself, so a retry would fail
    the same way) and `schema_version`; the store uses them when present."""

    @property
    def location(self) -> str: ...

    def save_many(self, records: Sequence[TraceRecord]) -> None: ...

    def list(self, flt: TraceFilter | None = None, *, full: bool = False) -> list[TraceRecord]: ...

    def get(self, trace_id: str) -> TraceRecord | None: ...

    def count(self) -> int: ...

    def save_label(self, trace_id: str, label: TraceLabel) -> bool: ...

    def import_many(self, records: Sequence[TraceRecord]) -> ImportResult:
        """Insert or replace `records` in one transaction, each stored copy's labels merged in (merged_with_stored)
        inside it: all of them are saved, or (on any error) none."""
        ...


class WriterStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    location: str
    pending: int
    written: int
    failures: int
    unbuildable: int = 0
    rejected: int = 0  # records the backend refused, written to `dead_letter` instead
    dead_letter: str | None = None
    last_error: str | None = None
    schema_version: int | None = None
    failing: bool = False


class TraceStore:
    """Save, list, get, count and export traces; `background=False` writes synchronously (one process tools)."""

    def __init__(
        self,
        backend: TraceBackend | Path,
        *,
        background: bool = True,
        batch: int = 64,
        max_pending: int = 10_000,
        on_saved: Callable[[Sequence[TraceRecord]], None] | None = None,
        dead_letter: Path | None = None,
    ) -> None:
        self._backend: TraceBackend = SqliteTraceBackend(backend) if isinstance(backend, Path) else backend
        self._on_saved = on_saved
        self._failing = False  # the last save failed: reads stop waiting for the writer until one succeeds
        self._background = background
        self._batch = batch
        self._max_pending = max_pending
        self._queue: deque[TraceRecord | Callable[[], TraceRecord]] = deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._closed = False
        self._written = 0
        self._failures = 0
        self._unbuildable = 0
        self._rejected = 0
        self._dead_letter = dead_letter
        self._last_error: str | None = None
        self._thread: threading.Thread | None = None
        atexit.register(_close_at_exit, weakref.ref(self))

    @property
    def backend(self) -> TraceBackend:
        return self._backend

    # -- writing ----------------------------------------------------------------------------------------
    def save(self, record: TraceRecord | Callable[[], TraceRecord]) -> None:
        """Queue `record` for the writer (or write it now when not in background mode). A callable is called on
        the writer thread: building the record (dumping the result, copying events) leaves the request path
        too. When the queue is full (the backend is down or slow), wait for room: back-pressure, never a
        dropped trace."""
        if not self._background or self._closed:
            saved, _, failure = self._save_or_set_aside([storable(_built(record))])
            if failure is not None:
                raise failure
            self._saved(saved)
            if self._closed:
                self._release()
            return
        with self._cond:
            while len(self._queue) >= self._max_pending and not self._closed:
                self._cond.wait(timeout=1.0)
            self._queue.append(record)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="trace-writer", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                items = [self._queue.popleft() for _ in range(min(len(self._queue), self._batch))]
                self._in_flight = len(items)
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
                self._failing = False
            self._cond.notify_all()

    def _retry_later(self, batch: list[TraceRecord], exc: Exception) -> None:
        with self._cond:
            self._queue.extendleft(reversed(batch))
            self._failures += 1
            self._failing = True
            self._last_error = error_text(exc)
            self._in_flight = 0
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
        if thread is None or not thread.is_alive():
            self._release()  # the writer is gone: its kept connection with it (a stuck writer keeps its own)
        if self._queue:  # the backend kept failing: one last synchronous try, so nothing is silently dropped
            left = list(self._queue)
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

    def close_backend(self) -> None:
        """Release the backend's connections (a PostgreSQL pool); the store must not be used afterwards."""
        close = getattr(self._backend, "close", None)
        if callable(close):
            close()

    def status(self) -> WriterStatus:
        with self._cond:
            return WriterStatus(
                location=self._backend.location,
                pending=len(self._queue) + self._in_flight,
                written=self._written,
                failures=self._failures,
                unbuildable=self._unbuildable,
                rejected=self._rejected,
                dead_letter=str(self._dead_letter) if self._dead_letter is not None else None,
                last_error=self._last_error,
                schema_version=getattr(self._backend, "schema_version", None),
                failing=self._failing,
            )

    # -- reading (after the writes made before) ---------------------------------------------------------
    def _read_barrier(self) -> None:
        """Read your writes: wait for earlier saves, unless the backend is failing (a stopped server): then
        the read goes straight to the backend instead of waiting out the flush timeout first."""
        if not self._failing:
            self.flush()

    def list(self, flt: TraceFilter | None = None, *, full: bool = False) -> list[TraceRecord]:
        """Matching records, newest first, without events; `full` adds their replay inputs and labels."""
        self._read_barrier()
        return self._backend.list(flt, full=True) if full else self._backend.list(flt)

    def get(self, trace_id: str) -> TraceRecord | None:
        self._read_barrier()
        return self._backend.get(trace_id)

    def count(self) -> int:
        self._read_barrier()
        return self._backend.count()

    def label(self, trace_id: str, label: TraceLabel) -> bool:
        """Store a label on a saved trace (after the saves queued before it); False when there is no such trace."""
        self._read_barrier()
        return self._backend.save_label(trace_id, label)

    def import_jsonl(self, path: Path) -> ImportResult:
        """Save every record of an export_jsonl file (events, inputs and labels included), all or nothing: every
        line is validated first (TraceStoreError naming the first bad line and field, before anything is saved),
        then all of them are written in one transaction (an error or Ctrl-C while writing leaves the store as it
        was). A trace already stored is replaced, its labels merged (merge_labels: a label made since the export,
        or while the import runs, is not lost); a trace listed twice is one trace, with the labels of both lines."""
        records = _read_export(path)
        self.flush()  # the saves queued before: an imported copy replaces them, not the other way round
        try:
            return self._backend.import_many([storable(r) for r in records])
        except TraceStoreError:
            raise
        except Exception as exc:  # locked past the busy timeout, disk full, a refusal the validation did not foresee
            raise TraceStoreError(f"importing {path} failed and nothing was imported: {error_text(exc)}") from exc

    def export_jsonl(self, path: Path, flt: TraceFilter | None = None) -> int:
        records = [self.get(r.trace_id) for r in self.list(flt or TraceFilter(limit=100_000))]
        with path.open("w", encoding="utf-8") as out:
            for record in records:
                if record is not None:
                    out.write(record.model_dump_json() + "\n")
        return len(records)


def _read_export(path: Path) -> list[TraceRecord]:
    """The records of an export file, one per distinct trace id in the order first seen, each line validated;
    TraceStoreError naming the first bad line (and how many more there are) when any line is bad. A trace listed
    on several lines is the last line's copy with the labels of all of them (merge_labels: per decision, the
    newest judgement): before, the last line won whole and the earlier lines' labels were dropped."""
    records: dict[str, TraceRecord] = {}
    first_bad, bad = "", 0
    try:
        # paused_gc: many small acyclic objects; the collector's full passes over them cost more than the parsing
        with paused_gc(), path.open(encoding="utf-8-sig") as lines:  # a byte-order mark (Windows editors): no bad line
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = ImportedTrace.from_line(kept_record(line) or line)
                except ValidationError as exc:
                    first_bad = (
                        first_bad
                        or f"{path}:{number} is not a trace record: {describe_validation(exc, whole='the line', limit=3)[:400]}"
                    )
                    bad += 1
                    continue
                earlier = records.get(record.trace_id)
                if earlier is not None:
                    labels, _ = merge_labels(earlier.labels, record.labels)
                    record = record.model_copy(update={"labels": labels})
                records[record.trace_id] = record
    except UnicodeDecodeError:
        raise TraceStoreError(
            f"{path} is not a trace export: it is not UTF-8 text; `guarded-rag traces export --jsonl FILE` writes one"
        ) from None
    if bad:
        more = f" ({bad - 1} more bad line(s) after it)" if bad > 1 else ""
        raise TraceStoreError(
            f"{first_bad}{more}; nothing was imported; `guarded-rag traces export --jsonl FILE` writes the expected format"
        )
    return list(records.values())


def _built(item: TraceRecord | Callable[[], TraceRecord]) -> TraceRecord:
    return item if isinstance(item, TraceRecord) else item()


def _close_at_exit(ref: weakref.ref[TraceStore]) -> None:
    store = ref()
    if store is not None:
        store.close(timeout=10.0)
