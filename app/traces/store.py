"""The service's trace store: one API over a backend (save, list, get, count, label, JSONL import and export).
Saves go to its background writer (writer.py: batched, retried, never dropped); reads first wait for the saves
made before them (read your writes) unless the backend is failing, so a query never misses a trace the same
process saved, nor waits out a flush timeout on a stopped server."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from app.traces.backends import TraceBackend
from app.traces.dead_letter import error_text
from app.traces.jsonl import read_export, write_export
from app.traces.merge import ImportResult
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, TraceStoreError
from app.traces.sqlite import SqliteTraceBackend
from app.traces.storable import storable
from app.traces.writer import TraceWriter, WriterStatus

_EXPORT_PAGE = 500  # traces read (and held) at once by export_jsonl


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
        self._writer = TraceWriter(
            self._backend,
            background=background,
            batch=batch,
            max_pending=max_pending,
            on_saved=on_saved,
            dead_letter=dead_letter,
        )

    @property
    def backend(self) -> TraceBackend:
        return self._backend

    # -- writing (the background writer) ----------------------------------------------------------------
    def save(self, record: TraceRecord | Callable[[], TraceRecord]) -> None:
        """Hand `record` (or a callable building it) to the writer: queued, or written now (TraceWriter.save)."""
        self._writer.save(record)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued trace is written; False if that did not happen within `timeout`."""
        return self._writer.flush(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued and stop the writer. Later saves are written synchronously."""
        self._writer.close(timeout)

    def close_backend(self) -> None:
        """Release the backend's connections (a PostgreSQL pool); the store must not be used afterwards."""
        close = getattr(self._backend, "close", None)
        if callable(close):
            close()

    def status(self) -> WriterStatus:
        return self._writer.status()

    # -- reading (after the writes made before) ---------------------------------------------------------
    def _read_barrier(self) -> None:
        """Read your writes: wait for earlier saves, unless the backend is failing (a stopped server): then
        the read goes straight to the backend instead of waiting out the flush timeout first."""
        if not self._writer.failing:
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

    # -- the JSONL file (jsonl.py) ----------------------------------------------------------------------
    def import_jsonl(self, path: Path) -> ImportResult:
        """Save every record of an export_jsonl file (events, inputs and labels included), all or nothing: every
        line is validated first (TraceStoreError naming the first bad line and field, before anything is saved),
        then all of them are written in one transaction (an error or Ctrl-C while writing leaves the store as it
        was). A trace already stored is replaced, its labels merged (merge_labels: a label made since the export,
        or while the import runs, is not lost); a trace listed twice is one trace, with the labels of both lines (the
        result's notes name each such line)."""
        read = read_export(path)
        self.flush()  # the saves queued before: an imported copy replaces them, not the other way round
        try:
            done = self._backend.import_many([storable(r) for r in read.records])
        except TraceStoreError:
            raise
        except Exception as exc:  # locked past the busy timeout, disk full, a refusal the validation did not foresee
            raise TraceStoreError(f"importing {path} failed and nothing was imported: {error_text(exc)}") from exc
        return done.model_copy(update={"notes": read.notes}) if read.notes else done

    def export_jsonl(self, path: Path, flt: TraceFilter | None = None) -> int:
        """Write the traces `flt` matches (newest first, each whole: events, inputs, labels) to `path` as JSONL;
        how many were written. Read a page of traces at a time (`get_many`: a few queries per page, not one
        get() per trace: 12k traces took 21 s on SQLite and 34 s on PostgreSQL) and written as read, so only a
        page of full traces is in memory. A trace gone since it was listed is left out (and not counted)."""
        ids = [r.trace_id for r in self.list(flt or TraceFilter(limit=100_000))]
        written = 0

        def pages() -> Iterator[TraceRecord]:
            nonlocal written
            for start in range(0, len(ids), _EXPORT_PAGE):
                for record in self._whole(ids[start : start + _EXPORT_PAGE]):
                    written += 1
                    yield record

        write_export(path, pages())
        return written

    def _whole(self, ids: Sequence[str]) -> Sequence[TraceRecord]:
        """The traces `ids` name, whole; a backend without `get_many` is asked one trace at a time."""
        get_many = getattr(self._backend, "get_many", None)
        if callable(get_many):
            return tuple(get_many(ids))
        return [r for r in (self._backend.get(i) for i in ids) if r is not None]
