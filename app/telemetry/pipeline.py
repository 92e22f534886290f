"""The SDK plumbing under app/telemetry/otel.py, each piece there so no span is lost without a number: an
exporter wrapper that counts what was exported and what failed, a span processor that feeds the SDK's batch
queue only while it has room (the SDK drops from a full queue with only a log line), an id generator that
lets a root span take the app's own trace id, and an HTTP session that keeps why the last export failed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import Any

import requests
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator

log = logging.getLogger("guarded_rag.telemetry")


class LastError:
    """Why the last export failed, in words (filled by the counting exporter and by the HTTP session)."""

    def __init__(self) -> None:
        self.message: str | None = None


class CountingExporter(SpanExporter):
    """Counts what reaches the exporter and how it ended, so no span is lost without a number saying so."""

    def __init__(self, inner: SpanExporter, errors: LastError) -> None:
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


class BoundedQueue(SpanProcessor):
    """The batch processor, fed only while its queue has room by our count (handed over minus received by the
    exporter, an upper bound on what it holds): the SDK would drop from a full queue with only a log line."""

    def __init__(self, exporter: CountingExporter, max_queue: int) -> None:
        self._exporter = exporter
        self._max_queue = max_queue
        self._inner = BatchSpanProcessor(exporter, max_queue_size=max_queue)
        self._lock = threading.Lock()
        self.queued = self.dropped = 0
        self._shut_down = False

    def on_start(self, span: Span, parent_context: object = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if not (span.context and span.context.trace_flags.sampled):
            return  # the batch processor ignores these too (OTEL_TRACES_SAMPLER)
        with self._lock:
            # Shut down, the SDK ignores the span with only a log line: a probe sent after close was counted queued
            if self._shut_down or self.queued - self._exporter.received >= self._max_queue:
                self.dropped += 1
                dropped = self.dropped
            else:
                self.queued += 1
                dropped = 0
        if not dropped:
            self._inner.on_end(span)
        elif _milestone(dropped):  # said in the log too (a server shows no status): the 1st, 10th, 100th drop...
            log.warning(
                "telemetry: %d span(s) dropped so far: the export queue (%d) is full (the OTLP backend is slow or "
                "down) or closed; the trace store keeps every trace",
                dropped,
                self._max_queue,
            )

    def shutdown(self) -> None:
        with self._lock:
            self._shut_down = True
        self._inner.shutdown()  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def _milestone(count: int) -> bool:
    """1, 10, 100, 1000...: a drop worth a log line, so a long outage logs a handful, not one per span."""
    while count % 10 == 0:
        count //= 10
    return count == 1


class AppTraceIds(IdGenerator):
    """Random ids, except that a root span may take the app's own trace id: one id in both systems."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()
        self.next_trace_id: int | None = None  # set and used under OtelExport's emit lock

    def generate_span_id(self) -> int:
        return self._random.generate_span_id()

    def generate_trace_id(self) -> int:
        wanted, self.next_trace_id = self.next_trace_id, None
        return wanted or self._random.generate_trace_id()


class RecordingSession(requests.Session):
    """The exporter's HTTP session, keeping why the last export failed: the exporter itself returns only
    FAILURE, and its logs say "timeout, max retries" without the cause (refused, HTTP status)."""

    def __init__(self, errors: LastError) -> None:
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
