"""OpenTelemetry export: every request as one trace (a root span per question, a child per step) sent over
OTLP/HTTP when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set. Off by default, and then the SDK is never
imported: `start_telemetry` returns None and nothing on the request path changes. The trace store stays the
record; spans are made from its records after they are saved (app/traces/store.py's on_saved).

Parts: semconv (attribute names, once), spans (a record planned as spans, no SDK), otel (the SDK: provider,
export, flush, probe, close), pipeline (its counted exporter, bounded queue, trace ids, HTTP session), status
(what doctor shows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from app.settings import Settings
from app.telemetry.status import TelemetryStatus
from app.traces import TraceRecord


class TelemetryError(ValueError):
    """Export is asked for but cannot start (the SDK is not installed)."""


class Telemetry(Protocol):
    def export(self, records: Sequence[TraceRecord]) -> None: ...

    def status(self) -> TelemetryStatus: ...

    def flush(self, timeout: float) -> bool: ...

    def probe(self, timeout: float) -> str | None: ...

    def close(self, timeout: float | None = None) -> None: ...


def start_telemetry(settings: Settings) -> Telemetry | None:
    """The exporter the settings ask for, or None (export off: the SDK is not imported)."""
    if settings.otel_traces_url is None:
        return None
    try:
        from app.telemetry.otel import OtelExport
    except ImportError as exc:
        raise TelemetryError(
            f"OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed ({exc.name}): "
            "pip install 'guarded-rag[scale]'"
        ) from exc
    return OtelExport.to_otlp(settings)


def telemetry_off(settings: Settings) -> TelemetryStatus:
    """The status when no exporter runs, saying which setting keeps it off."""
    if settings.otel_sdk_disabled and (settings.otel_endpoint or settings.otel_traces_endpoint):
        why = "export off: OTEL_SDK_DISABLED=true"
    else:
        why = "export off: OTEL_EXPORTER_OTLP_ENDPOINT is not set"
    return TelemetryStatus(enabled=False, detail=why)


__all__ = ["Telemetry", "TelemetryError", "TelemetryStatus", "start_telemetry", "telemetry_off"]
