"""What a trace backend is (`TraceBackend`, the Protocol the store and its writer use) and which one keeps the
traces: a PostgreSQL URL opens the shared server store, anything else is a SQLite file (the default, zero setup).
psycopg is imported only when a URL asks for it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from app.traces.merge import ImportResult
from app.traces.models import TraceFilter, TraceLabel, TraceRecord, TraceStoreError
from app.traces.sqlite import SqliteTraceBackend


class TraceBackend(Protocol):
    """Where traces are kept (SQLite by default, PostgreSQL when GUARDED_RAG_TRACE_DB is a URL). A backend may
    also have `close()` (release connections), `release()` (drop what it keeps between saves, once the writer
    has stopped), `rejects(exc)` (True when a failed save_many refused the data itself, so a retry would fail
    the same way), `get_many(ids)` (several whole traces by exact id in a few queries: export_jsonl's pages)
    and `schema_version`; the store uses them when present."""

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


def open_trace_backend(target: Path | str) -> TraceBackend:
    """Open (and migrate) the store at `target`; raises TraceStoreError with one clear sentence."""
    if isinstance(target, str) and target.split("://", 1)[0].lower() in ("postgresql", "postgres") and "://" in target:
        try:
            from app.traces.postgres import PostgresTraceBackend
        except ImportError as exc:
            raise TraceStoreError(
                f"GUARDED_RAG_TRACE_DB is a PostgreSQL URL but its driver is missing ({exc.name}): "
                "pip install 'guarded-rag[scale]'"
            ) from exc
        return PostgresTraceBackend(target)
    return SqliteTraceBackend(Path(target))
