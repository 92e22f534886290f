"""What the OpenTelemetry export is doing, for doctor and the service's callers: on or off and why, where spans
go, and the counts that say whether any were lost (dropped when the queue was full, failed at the backend)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TelemetryStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool
    detail: str  # why it is off, or where it exports
    endpoint: str | None = None
    service_name: str | None = None
    export_text: bool = False
    queue_size: int = 0
    spans_queued: int = 0  # handed to the batch processor
    spans_exported: int = 0  # accepted by the backend
    spans_failed: int = 0  # sent, but the backend refused or never answered in time: lost
    spans_dropped: int = 0  # never sent: the queue was full (a burst, or a slow backend): lost
    records_unexported: int = 0  # a stored trace that could not be turned into spans (a bug; logged)
    last_error: str | None = None

    @property
    def lost(self) -> int:
        return self.spans_failed + self.spans_dropped
