"""No span is lost without a number, nor without a word: a trace saved once the exporter is closed (a store writes
synchronously after its own close, an atexit order other than the service's) counts as unexported, a span the
shut-down batch processor ignores (a doctor probe after close) counts as dropped, and drops from a full queue
are said in the log (the 1st, 10th, 100th...), where a server's operator sees them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.settings import Settings
from app.telemetry.otel import OtelExport
from app.traces import TraceStore
from tests.app.telemetry.test_queue import GatedExporter
from tests.app.test_traces import record


def test_a_trace_saved_after_the_export_closed_is_counted_as_unexported(tmp_path: Path):
    export = OtelExport(Settings(otel_queue_size=512), InMemorySpanExporter())
    store = TraceStore(tmp_path / "t.sqlite3", on_saved=export.export)
    store.save(record(1))
    store.flush()
    export.close(timeout=5)
    store.save(record(2, events=2))
    store.close()
    store.close_backend()
    assert store.status().written == 2  # stored all the same
    status = export.status()
    assert status.spans_exported == 4  # the first trace: root + 3 events
    assert status.records_unexported == 1


def test_a_probe_after_close_is_counted_as_dropped_not_queued():
    exporter = InMemorySpanExporter()
    export = OtelExport(Settings(otel_queue_size=512), exporter)
    export.close(timeout=5)
    export.probe(timeout=2)
    status = export.status()
    assert status.spans_queued == 0 and status.spans_dropped == 1 and status.lost == 1
    assert exporter.get_finished_spans() == ()


def test_spans_dropped_with_the_queue_full_are_said_in_the_log_not_only_counted(caplog: pytest.LogCaptureFixture):
    # A server shows no telemetry status (doctor runs in a process of its own): the log is where drops are seen.
    backend = GatedExporter()
    export = OtelExport(Settings(otel_queue_size=512), backend)
    try:
        with caplog.at_level(logging.WARNING, logger="guarded_rag.telemetry"):
            export.export([record(i, events=99) for i in range(12)])  # 1,200 spans, the backend stalled
        dropped = export.status().spans_dropped
        said = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
        assert dropped > 100
        assert said and said[0].startswith("telemetry: 1 span(s) dropped") and len(said) == len(str(dropped))
    finally:
        backend.gate.set()
        export.close(timeout=5)
