"""The OpenTelemetry SDK side of the export, imported only when an OTLP endpoint is set: a TracerProvider of our
own (never the global one other libraries may use), a BatchSpanProcessor behind a bounded, counted queue, and
the OTLP/HTTP exporter with our timeout. Spans are made from stored records on the trace writer's thread with
the events' own times, so a request never waits for telemetry; a dead or hung backend costs at most the
exporter timeout per batch on the export thread, and `close` waits a bounded time.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from app.settings import Settings
from app.telemetry import semconv as sc
from app.telemetry.pipeline import AppTraceIds, BoundedQueue, CountingExporter, LastError, RecordingSession
from app.telemetry.spans import TracePlan, plan
from app.telemetry.status import TelemetryStatus
from app.traces import TraceRecord

log = logging.getLogger("guarded_rag.telemetry")


class OtelExport:
    """Stored traces out as OTLP spans. `exporter` is the OTLP/HTTP one in production, an in-memory one in tests."""

    def __init__(
        self, settings: Settings, exporter: SpanExporter, *, endpoint: str | None = None, errors: LastError | None = None
    ) -> None:
        self._settings = settings
        self._endpoint = endpoint
        self._exporter = CountingExporter(exporter, errors or LastError())
        self._processor = BoundedQueue(self._exporter, settings.otel_queue_size)
        self._ids = AppTraceIds()
        self._provider = TracerProvider(
            resource=Resource.create({sc.SERVICE_NAME: settings.otel_service_name}),
            id_generator=self._ids,
            span_limits=SpanLimits(max_attribute_length=8192),
            shutdown_on_exit=False,  # its own exit hook waits up to 30 s on a hung backend; close() is bounded
        )
        self._provider.add_span_processor(self._processor)
        self._tracer = self._provider.get_tracer("guarded-rag")
        self._emit_lock = threading.Lock()
        self._unexported = 0
        self._closed = False
        # Registered before the service's trace store registers its own: exit hooks run last-first, so the store
        # drains its queue (making the last spans) before this flushes them. A strong reference on purpose: a
        # CLI run drops its service before exit, and a weak one would find nothing left to flush (close()
        # unregisters it, so closed exporters are not kept).
        atexit.register(self.close)

    @classmethod
    def to_otlp(cls, settings: Settings) -> OtelExport:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        url = settings.otel_traces_url
        errors = LastError()
        # Our timeout, not OTEL_EXPORTER_OTLP_TIMEOUT: the Python SDK reads that one in seconds, the spec in ms.
        # Headers, compression and certificates still come from the standard OTEL_EXPORTER_OTLP_* variables.
        exporter = OTLPSpanExporter(endpoint=url, timeout=settings.otel_timeout, session=RecordingSession(errors))
        return cls(settings, exporter, endpoint=url, errors=errors)

    # -- export (called by the trace store after it saved a batch, on its writer thread) -------------------
    def export(self, records: Sequence[TraceRecord]) -> None:
        if self._closed:  # a trace saved after close (the store writes synchronously then): counted, never silent
            self._unexported += len(records)
            log.warning("telemetry is closed: %d trace(s) saved since were not exported", len(records))
            return
        for record in records:
            try:
                self._emit(plan(record, export_text=self._settings.otel_export_text, default_host=self._settings.ollama_host))
            except Exception:
                self._unexported += 1
                log.exception("trace %s could not be turned into spans", record.trace_id)

    def _emit(self, p: TracePlan) -> None:
        with self._emit_lock:
            self._ids.next_trace_id = p.trace_id
            # An empty context: the caller's thread may be inside a span of its own (a synchronous trace store),
            # and the request's root must not become its child, in its trace.
            root = self._tracer.start_span(
                p.root.name, context=Context(), attributes=p.root.attributes, start_time=p.root.start_ns
            )
            parent = trace.set_span_in_context(root)
            for child in p.children:
                span = self._tracer.start_span(
                    child.name,
                    context=parent,
                    kind=SpanKind.CLIENT if child.kind == "client" else SpanKind.INTERNAL,
                    attributes=child.attributes,
                    start_time=child.start_ns,
                )
                if child.error is not None:
                    span.set_status(Status(StatusCode.ERROR, child.error))
                span.end(end_time=child.end_ns)
            if p.root.error is not None:
                root.set_status(Status(StatusCode.ERROR, p.root.error))
            root.end(end_time=p.root.end_ns)

    # -- health --------------------------------------------------------------------------------------------
    def status(self) -> TelemetryStatus:
        with self._exporter.lock:
            received, exported, failed = self._exporter.received, self._exporter.exported, self._exporter.failed
        return TelemetryStatus(
            enabled=True,
            detail=f"exporting to {self._endpoint or 'a custom exporter'}",
            endpoint=self._endpoint,
            service_name=self._settings.otel_service_name,
            export_text=self._settings.otel_export_text,
            queue_size=self._settings.otel_queue_size,
            spans_queued=self._processor.queued,
            spans_exported=exported,
            spans_failed=failed,
            spans_dropped=self._processor.dropped,
            records_unexported=self._unexported,
            last_error=self._exporter.errors.message if failed or received > exported else None,
        )

    def flush(self, timeout: float) -> bool:
        """Export what is queued now; False if that did not finish within `timeout` (the export goes on)."""
        return _bounded(lambda: self._processor.force_flush(int(timeout * 1000)), timeout)

    def probe(self, timeout: float) -> str | None:
        """Send one span now and wait for the backend's answer: None when it took it, else why not."""
        with self._exporter.lock:
            before_exported, before_failed = self._exporter.exported, self._exporter.failed
            # Forget older failures: a message from here on is about this probe's attempts.
            self._exporter.errors.message = None
        # Made sampled by hand: the sampler (OTEL_TRACES_SAMPLER) decides which requests are exported, not whether
        # the backend answers; a probe it sampled out was reported as dropped.
        now = time.time_ns()
        with self._emit_lock:
            context = SpanContext(
                self._ids.generate_trace_id(), self._ids.generate_span_id(), False, TraceFlags(TraceFlags.SAMPLED)
            )
        probe = ReadableSpan(
            "guarded-rag doctor probe",
            context=context,
            resource=self._provider.resource,
            attributes={sc.PROBE: True},
            start_time=now,
            end_time=now,
            instrumentation_scope=InstrumentationScope("guarded-rag"),
        )
        self._processor.on_end(probe)
        if not self.flush(timeout):
            # The exporter retries within its own timeout, so a refused connection can still be retrying when
            # the wait ends; its first attempt's error is the cause worth saying.
            cause = self._exporter.errors.message
            return f"the backend did not answer within {timeout:g} s" + (f" (last attempt: {cause})" if cause else "")
        if self._exporter.exported > before_exported:
            return None
        if self._exporter.failed > before_failed:
            return self._exporter.errors.message or "the backend refused the spans"
        return "the probe span was dropped (export queue full)"

    def close(self, timeout: float | None = None) -> None:
        """Export what is queued, then stop; waits at most `timeout` (default: the export timeout + 1 s)."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        wait = timeout if timeout is not None else self._settings.otel_timeout + 1.0
        if not _bounded(self._provider.shutdown, wait):
            status = self.status()
            log.warning(
                "telemetry: export to %s did not finish within %g s; %d span(s) not exported",
                self._endpoint,
                wait,
                status.spans_queued - status.spans_exported - status.spans_failed,
            )


def _bounded(call: Callable[[], object], timeout: float) -> bool:
    """Run `call` on a daemon thread and wait at most `timeout`: the SDK's own waits are not all bounded."""
    done = threading.Event()

    def run() -> None:
        try:
            call()
        finally:
            done.set()

    threading.Thread(target=run, name="otel-bounded", daemon=True).start()
    return done.wait(timeout)
