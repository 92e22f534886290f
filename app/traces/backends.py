"""Which backend keeps the traces: a PostgreSQL URL opens the shared server store, anything else is a SQLite
file (the default, zero setup). psycopg is imported only when a URL asks for it."""

from __future__ import annotations

from pathlib import Path

from app.traces.models import TraceStoreError
from app.traces.sqlite import SqliteTraceBackend
from app.traces.store import TraceBackend


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
