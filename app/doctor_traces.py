"""`guarded-rag doctor`'s checks of what is recorded: the trace store (its count, its writer's state, the records
set aside) and the OpenTelemetry export (a probe span, and the spans lost in this process)."""

from __future__ import annotations

from collections.abc import Callable

from app.doctor_check import Check
from app.settings import Settings
from app.telemetry import TelemetryStatus
from app.traces import TraceStoreError, WriterStatus, count_set_aside


def traces_check(
    settings: Settings,
    trace_count: Callable[[], int],
    trace_status: Callable[[], WriterStatus] | None,
    trace_error: str | None,
) -> Check:
    """The trace store; `trace_error`: why it could not be opened, the failed check in place of the count/status."""
    if trace_error is None:
        return _traces_check(settings, trace_count, trace_status)
    # the store would not open, so the caller ran the other checks on a throwaway one
    return Check(name="traces", ok=False, detail=trace_error, fix=_trace_fix(settings))


def _trace_fix(settings: Settings) -> str:
    if settings.trace_url:
        return "start the trace database server, or correct GUARDED_RAG_TRACE_DB"
    return f"mend what keeps {settings.trace_db} from opening or being written (above), or point GUARDED_RAG_TRACE_DB at another file"


def _traces_check(settings: Settings, trace_count: Callable[[], int], trace_status: Callable[[], WriterStatus] | None) -> Check:
    count, error, sentence = 0, None, False
    try:
        count = trace_count()  # first: it waits for the writer, so the status after it is current
    except TraceStoreError as exc:  # one sentence naming the store, what failed and what to do: shown whole
        error, sentence = str(exc), True
    except Exception as exc:
        error = str(exc)[:300]
    status = trace_status() if trace_status is not None else None
    where = status.location if status is not None else str(settings.trace_db)
    if error is not None:
        detail = error if sentence else f"cannot read {where}: {error}"
        return Check(name="traces", ok=False, detail=detail, fix=_trace_fix(settings))
    detail = f"{count} stored in {where}"
    if status is not None:
        detail += f" (schema v{status.schema_version})" if status.schema_version else ""
        if status.pending or status.failures:
            detail += f"; {status.pending} waiting to be written, {status.failures} failed attempts (last: {status.last_error})"
        detail += _set_aside_in_process(status)
    if refused := count_set_aside(settings.rejected_traces):
        detail += f"; {refused} record(s) the backend refused are kept in {settings.rejected_traces}"
    ok = status is None or not status.failing
    return Check(name="traces", ok=ok, detail=detail, fix=None if ok else _trace_fix(settings))


def _set_aside_in_process(status: WriterStatus) -> str:
    """What this process's writer did not store: records refused, diverted to the dead-letter file because the queue
    was full while the store failed (`overflowed`), or lost because they could not be built."""
    where = status.dead_letter or "the dead-letter file"
    parts = []
    if status.overflowed:
        parts.append(f"{status.overflowed} diverted to {where} (the queue was full while the store failed)")
    if status.rejected:
        parts.append(f"{status.rejected} refused by the store")
    if status.unbuildable:
        parts.append(f"{status.unbuildable} lost (they could not be built: see the log)")
    if not parts:
        return ""
    back = f"; `guarded-rag traces import --jsonl {where}` stores them" if status.overflowed else ""
    return "; in this process " + ", ".join(parts) + back


def telemetry_check(
    settings: Settings, telemetry: Callable[[], TelemetryStatus], probe: Callable[[], str | None] | None
) -> Check:
    problem = probe() if probe is not None else None
    status = telemetry()
    if not status.enabled:
        return Check(name="telemetry", ok=True, detail=status.detail)
    detail = (
        f"exporting to {status.endpoint} as service.name={status.service_name}, text {'on' if status.export_text else 'off'}; "
        f"probe span {'arrived' if problem is None else 'FAILED: ' + problem}; in this process {status.spans_exported} "
        f"span(s) exported, {status.spans_dropped} dropped with the queue ({status.queue_size}) full, {status.spans_failed} failed"
    )
    # The traces endpoint wins over the base one: correcting the base one would change nothing.
    variable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" if settings.otel_traces_endpoint else "OTEL_EXPORTER_OTLP_ENDPOINT"
    return Check(
        name="telemetry",
        ok=problem is None and status.lost == 0,
        detail=detail,
        fix=f"start the OTLP receiver (e.g. `phoenix serve`) or correct {variable}; the trace store keeps every trace meanwhile",
    )
