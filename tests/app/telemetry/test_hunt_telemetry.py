"""Bug hunt (telemetry): a request's trace is its own root span with the app's trace id even when it is exported
on a thread that is inside someone else's span, and doctor's probe span reaches the backend whatever the sampler
(OTEL_TRACES_SAMPLER) keeps of requests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.settings import Settings
from app.telemetry import semconv as sc
from app.telemetry.otel import OtelExport
from app.traces import TraceRecord, TraceStore
from chains import TraceEvent

APP_ID = "0123456789abcdef0123456789abcdef"


def stored(trace_id: str = APP_ID) -> TraceRecord:
    return TraceRecord(
        trace_id=trace_id,
        created_at=datetime.now(UTC),
        question="q",
        status="answered",
        backend="embedded",
        model="m",
        llm_calls=0,
        latency_ms=5.0,
        events=(TraceEvent(seq=1, step="input", name="input_size", outcome="passed"),),
    )


def test_a_trace_exported_inside_a_host_apps_span_is_still_its_own_root_with_the_app_trace_id(tmp_path: Path):
    """A synchronous trace store (one process tools; any store once closed) exports on the caller's thread. When
    that thread is inside a span of the host application's own tracing, the request's root span became a child of
    it, in the host's trace: the OTel trace id was no longer the app's trace id, and the app's id stayed pending
    for the next span this exporter made (doctor's probe)."""
    memory = InMemorySpanExporter()
    export = OtelExport(Settings(otel_queue_size=512), memory)
    store = TraceStore(tmp_path / "t.db", background=False, on_saved=export.export)
    host = TracerProvider().get_tracer("host-app")
    with host.start_as_current_span("host request") as outer:
        store.save(stored())
        assert export.probe(5) is None
    spans = memory.get_finished_spans()
    root = next(s for s in spans if s.name == "guarded-rag ask")
    child = next(s for s in spans if s.name == "input_size")
    probe = next(s for s in spans if s.name == "guarded-rag doctor probe")
    assert root.parent is None and root.context is not None
    assert root.context.trace_id == int(APP_ID, 16) != outer.get_span_context().trace_id
    assert root.attributes is not None and root.attributes[sc.TRACE_ID] == APP_ID
    assert child.parent is not None and child.parent.span_id == root.context.span_id
    assert probe.context is not None and probe.context.trace_id != int(APP_ID, 16)
    store.close()
    export.close(timeout=5)


def test_the_probe_span_arrives_whatever_share_of_requests_the_sampler_keeps(monkeypatch: pytest.MonkeyPatch):
    """With OTEL_TRACES_SAMPLER=traceidratio (a documented setting), the probe span was sampled out as often as a
    request is, and doctor then said "[PROBLEM] ... the probe span was dropped (export queue full)": a backend
    that works, a queue that is empty, and exit code 1."""
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.5")
    memory = InMemorySpanExporter()
    export = OtelExport(Settings(otel_queue_size=512), memory)
    answers = [export.probe(5) for _ in range(16)]
    assert answers == [None] * 16
    assert [s.name for s in memory.get_finished_spans()] == ["guarded-rag doctor probe"] * 16
    status = export.status()
    assert status.spans_exported == 16 and status.lost == 0
    export.close(timeout=5)
