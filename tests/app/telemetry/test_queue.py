"""Export never blocks or fails a request and never loses a span without a number saying so: a burst beyond the
queue is dropped and counted, a refusing backend is counted as failed with its reason, a hung backend holds
neither the trace writer nor shutdown beyond a bounded time, and doctor's probe says whether a span arrives."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.settings import Settings
from app.telemetry.otel import OtelExport
from app.telemetry.pipeline import LastError
from tests.app.test_traces import record


class GatedExporter(SpanExporter):
    """Holds every export until `gate` opens (a slow or hung backend); `result` says how the backend answers."""

    def __init__(self, result: SpanExportResult = SpanExportResult.SUCCESS) -> None:
        self.gate = threading.Event()
        self.result = result
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.gate.wait()
        self.spans.extend(spans)
        return self.result

    def shutdown(self) -> None:
        pass


def settings(**changes: object) -> Settings:
    return Settings(otel_queue_size=512, **changes)  # type: ignore[arg-type]


def test_a_burst_beyond_the_queue_is_dropped_and_counted_never_silently():
    backend = GatedExporter()
    export = OtelExport(settings(), backend)
    records = [record(i, events=99) for i in range(12)]  # 12 traces x 100 spans, the backend stalled
    started = time.perf_counter()
    export.export(records)
    took = time.perf_counter() - started
    status = export.status()
    made = 12 * 100
    assert status.spans_dropped > 0 and status.spans_queued + status.spans_dropped == made
    assert status.spans_queued <= 512 + 512  # the queue, plus the one batch the stalled export thread holds
    backend.gate.set()
    assert export.flush(10)
    status = export.status()
    assert status.spans_exported == status.spans_queued == len(backend.spans) and status.lost == status.spans_dropped
    export.close(timeout=5)
    assert took < 5  # making spans never waited for the stalled backend


def test_a_refusing_backend_is_counted_as_failed_with_its_reason():
    backend = GatedExporter(SpanExportResult.FAILURE)
    backend.gate.set()
    export = OtelExport(settings(), backend)
    export.export([record(1, events=3)])
    assert export.flush(10)
    status = export.status()
    assert status.spans_failed == 4 and status.spans_exported == 0 and status.lost == 4
    assert export.probe(5) == "the backend refused the spans"
    export.close(timeout=5)


def test_an_exporter_that_raises_is_counted_and_the_export_thread_survives():
    class Broken(SpanExporter):
        def __init__(self) -> None:
            self.calls = 0

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("backend gone")
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

    export = OtelExport(settings(), Broken())
    export.export([record(1, events=1)])
    assert export.flush(10)
    export.export([record(2, events=1)])
    assert export.flush(10)
    status = export.status()
    assert status.spans_failed == 2 and status.spans_exported == 2
    assert status.last_error == "ConnectionError: backend gone"
    export.close(timeout=5)


def test_a_hung_backend_holds_shutdown_for_a_bounded_time_only():
    backend = GatedExporter()  # never opens
    export = OtelExport(settings(otel_timeout=1.0), backend)
    export.export([record(1, events=5)])
    started = time.perf_counter()
    assert export.probe(0.5) == "the backend did not answer within 0.5 s"
    export.close()  # waits the export timeout + 1 s at most
    assert time.perf_counter() - started < 0.5 + 2.0 + 5.0  # plus a busy machine's slack: the backend never answers
    backend.gate.set()


def test_a_probe_still_retrying_when_the_wait_ends_says_the_last_attempts_error():
    # The OTLP exporter retries a refused connection within its own timeout, so doctor's wait can end first;
    # the cause (what its HTTP session recorded) must still be said, not only "did not answer".
    errors = LastError()
    errors.message = "ConnectionError: an older failure, before the probe"

    class Retrying(GatedExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            errors.message = "ConnectionError: [Errno 111] Connection refused"
            return super().export(spans)

    backend = Retrying()
    export = OtelExport(settings(otel_timeout=1.0), backend, errors=errors)
    assert export.probe(0.5) == (
        "the backend did not answer within 0.5 s (last attempt: ConnectionError: [Errno 111] Connection refused)"
    )
    backend.gate.set()
    export.close(timeout=5)


def test_a_probe_timing_out_does_not_repeat_an_older_failure():
    errors = LastError()
    errors.message = "ConnectionError: an older failure, before the probe"
    backend = GatedExporter()  # hangs without an error of its own
    export = OtelExport(settings(otel_timeout=1.0), backend, errors=errors)
    assert export.probe(0.5) == "the backend did not answer within 0.5 s"
    backend.gate.set()
    export.close(timeout=5)


def test_the_probe_says_a_span_arrived():
    backend = InMemorySpanExporter()
    export = OtelExport(settings(), backend)
    assert export.probe(5) is None
    assert [s.name for s in backend.get_finished_spans()] == ["guarded-rag doctor probe"]
    export.close(timeout=5)


def test_a_record_that_cannot_be_planned_is_counted_and_the_rest_go_out():
    backend = InMemorySpanExporter()
    export = OtelExport(settings(), backend)
    broken = record(1).model_copy(update={"latency_ms": float("nan")})  # no start time can be computed
    export.export([broken, record(2, events=2)])
    assert export.flush(10)
    assert export.status().records_unexported == 1 and len(backend.get_finished_spans()) == 3
    export.close(timeout=5)
