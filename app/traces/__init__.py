"""Traces: the record of every request (models), where they are kept (sqlite: the default backend), and the
store the service uses (store: a background writer in front of a backend, read-your-writes on queries)."""

from app.traces.models import TraceFilter, TraceRecord, redact
from app.traces.sqlite import SqliteTraceBackend
from app.traces.store import TraceBackend, TraceStore, WriterStatus

__all__ = ["SqliteTraceBackend", "TraceBackend", "TraceFilter", "TraceRecord", "TraceStore", "WriterStatus", "redact"]
