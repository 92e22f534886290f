"""Readiness and export: the parts built up front so the first question does not wait for them (warm_up, the
input detectors), and whether requests are exported as OpenTelemetry traces (status, a probe span)."""

from __future__ import annotations

from app.service_state import ServiceState
from app.signals.input_detectors import DetectorStatus
from app.telemetry import TelemetryStatus, telemetry_off


class Readiness(ServiceState):
    """Parts built ahead of the first question, and the OpenTelemetry export's status (doctor, the UI, serve)."""

    def input_detectors(self) -> tuple[DetectorStatus, ...]:
        """Build or load the semantic input detectors now (seconds the first time per home), so the first
        question does not wait for it: what each learned from, or why it is unavailable (doctor reports it).
        Empty when the embedder is not one their thresholds were calibrated for."""
        return self._parts.input_detectors()

    def warm_up(self) -> None:
        """Build every lazily built part now, once (the UI calls it when it creates the shared service, so the
        first sessions asking at once find them built). Cheap parts only: models load on their first call."""
        self._require_open("warm_up()")
        self._parts.warm_up(self.policy)

    def telemetry_status(self) -> TelemetryStatus:
        """Whether requests are exported as OpenTelemetry traces, where, and how many spans were lost."""
        return self._telemetry.status() if self._telemetry is not None else telemetry_off(self.settings)

    def probe_telemetry(self, timeout: float = 5.0) -> str | None:
        """Send one span to the OTLP backend and wait for it: None when it arrived, else why not (doctor)."""
        if self._telemetry is None:
            return None
        return self._telemetry.probe(timeout)
