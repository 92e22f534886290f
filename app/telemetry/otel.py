"""The OpenTelemetry SDK side of the export, imported only when an OTLP endpoint is set: a TracerProvider of our
own (never the global one other libraries may use), a BatchSpanProcessor behind a bounded, counted queue, and
the OTLP/HTTP exporter with our timeout. Spans are made from stored records on the trace writer's thread with
the events' own times, so a request never waits for telemetry; a dead or hung backend costs at most the
exporter timeout per batch on the export thread, and `close` waits a bounded time.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import requests
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from app.settings import Settings
from app.telemetry import semconv as sc
from app.telemetry.spans import TracePlan, plan
from app.telemetry.status import TelemetryStatus
from app.traces import TraceRecord

log = logging.getLogger("guarded_rag.telemetry")


class _LastError:
    """Why the last export failed, in words (filled by the counting exporter and by the HTTP session)."""

    def __init__(self) -> None:
        self.message: str | None = None


class _CountingExporter(SpanExporter):
    """Counts what reaches the exporter and how it ended, so no span is lost without a number saying so."""

    def __init__(self, inner: SpanExporter, errors: _LastError) -> None:
        self.inner = inner
        self.errors = errors
        self.lock = threading.Lock()
        self.received = self.exported = self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self.lock:
            self.received += len(spans)
        try:
            result = self.inner.export(spans)
        except Exception as exc:  # an exporter bug must not kill the export thread
            result = SpanExportResult.FAILURE
            self.errors.message = f"{type(exc).__name__}: {str(exc)[:300]}"
        with self.lock:
            if result is SpanExportResult.SUCCESS:
                self.exported += len(spans)
            else:
                self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class _BoundedQueue(SpanProcessor):
    """The batch processor, fed only while its queue has room by our count (handed over minus received by the
    exporter, an upper bound on what it holds): the SDK would drop from a full queue with only a log line."""

    def __init__(self, exporter: _CountingExporter, max_queue: int) -> None:
        self._exporter = exporter
        self._max_queue = max_queue
        self._inner = BatchSpanProcessor(exporter, max_queue_size=max_queue)
        self._lock = threading.Lock()
        self.queued = self.dropped = 0

    def on_start(self, span: Span, parent_context: object = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if not (span.context and span.context.trace_flags.sampled):
            return  # the batch processor ignores these too (OTEL_TRACES_SAMPLER)
        with self._lock:
            if self.queued - self._exporter.received >= self._max_queue:
                self.dropped += 1
                return
            self.queued += 1
        self._inner.on_end(span)

    def shutdown(self) -> None:
        self._inner.shutdown()  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class _AppTraceIds(IdGenerator):
    """Random ids, except that a root span may take the app's own trace id: one id in both systems."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()
        self.next_trace_id: int | None = None  # set and used under OtelExport's emit lock

    def generate_span_id(self) -> int:
        return self._random.generate_span_id()

    def generate_trace_id(self) -> int:
        wanted, self.next_trace_id = self.next_trace_id, None
        return wanted or self._random.generate_trace_id()


class _RecordingSession(requests.Session):
    """The exporter's HTTP session, keeping why the last export failed: the exporter itself returns only
    FAILURE, and its logs say "timeout, max retries" without the cause (refused, HTTP status)."""

    def __init__(self, errors: _LastError) -> None:
        super().__init__()
        self._errors = errors

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        try:
            response = super().request(method, url, *args, **kwargs)
        except Exception as exc:
            message = str(exc)
            errno = re.search(r"\[Errno -?\d+\] [^'\")]+", message)
            self._errors.message = f"{type(exc).__name__}: {errno.group(0) if errno else message[:300]}"
            raise
        if response.status_code >= 400:
            self._errors.message = f"HTTP {response.status_code} {response.reason}: {response.text[:200]}"
        return response


class OtelExport:
    """Stored traces out as OTLP spans. `exporter` is the OTLP/HTTP one in production, an in-memory one in tests."""

    def __init__(
        self, settings: Settings, exporter: SpanExporter, *, endpoint: str | None = None, errors: _LastError | None = None
    ) -> None:
        self._settings = settings
        self._endpoint = endpoint
        self._exporter = _CountingExporter(exporter, errors or _LastError())
        self._processor = _BoundedQueue(self._exporter, settings.otel_queue_size)
        self._ids = _AppTraceIds()
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
        errors = _LastError()
        # Our timeout, not OTEL_EXPORTER_OTLP_TIMEOUT: the Python SDK reads that one in seconds, the spec in ms.
        # Headers, compression and certificates still come from the standard OTEL_EXPORTER_OTLP_* variables.
        exporter = OTLPSpanExporter(endpoint=url, timeout=settings.otel_timeout, session=_RecordingSession(errors))
        return cls(settings, exporter, endpoint=url, errors=errors)

    # -- export (called by the trace store after it saved a batch, on its writer thread) -------------------
    def export(self, records: Sequence[TraceRecord]) -> None:
        if self._closed:
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
            root = self._tracer.start_span(p.root.name, attributes=p.root.attributes, start_time=p.root.start_ns)
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
        with self._emit_lock:
            self._tracer.start_span("guarded-rag doctor probe", attributes={sc.PROBE: True}).end()
        if not self.flush(timeout):
            return f"the backend did not answer within {timeout:g} s"
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
