"""Traces: the record of every request (models), where they are kept (sqlite: the default backend; postgres: a
server several processes share, opened by backends.open_trace_backend; migrations: their versioned schemas), and the
store the service uses (store: read-your-writes queries, JSONL import and export (jsonl, imported, merge), in front
of a background writer (writer))."""

from app.traces.backends import TraceBackend, open_trace_backend
from app.traces.dead_letter import count_set_aside
from app.traces.inputs import bounded, paused_gc
from app.traces.models import OUTCOME, TraceFilter, TraceInputs, TraceLabel, TraceRecord, TraceStoreError, redact
from app.traces.sqlite import SqliteTraceBackend
from app.traces.storable import storable
from app.traces.store import TraceStore
from app.traces.writer import WriterStatus

__all__ = [
    "OUTCOME",
    "SqliteTraceBackend",
    "TraceBackend",
    "TraceFilter",
    "TraceInputs",
    "TraceLabel",
    "TraceRecord",
    "TraceStore",
    "TraceStoreError",
    "WriterStatus",
    "bounded",
    "count_set_aside",
    "open_trace_backend",
    "paused_gc",
    "redact",
    "storable",
]
