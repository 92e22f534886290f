"""Traces: the record of every request (models), where they are kept (sqlite: the default backend; postgres: a
server several processes share, opened by backends.open_trace_backend; migrations: their versioned schemas), and the
store the service uses (store: a background writer in front of a backend, read-your-writes on queries)."""

from app.traces.backends import open_trace_backend
from app.traces.models import TraceFilter, TraceRecord, TraceStoreError, redact, storable
from app.traces.sqlite import SqliteTraceBackend
from app.traces.store import TraceBackend, TraceStore, WriterStatus

__all__ = [
    "SqliteTraceBackend",
    "TraceBackend",
    "TraceFilter",
    "TraceRecord",
    "TraceStore",
    "TraceStoreError",
    "WriterStatus",
    "open_trace_backend",
    "redact",
    "storable",
]
