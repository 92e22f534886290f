"""The settings fields of where traces go: the trace store (a SQLite file or a shared PostgreSQL server) and the
OpenTelemetry export (the standard OTEL_* variables) (part of `Settings`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class TraceFields(BaseModel):
    """The fields of `Settings` that say where traces and spans go."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- where traces are kept (env GUARDED_RAG_TRACE_DB; TOML key trace_db or trace_store) -----------------
    trace_store: str | None = Field(
        default=None,
        validation_alias=AliasChoices("trace_store", "trace_db"),
        description="A SQLite file, or a postgresql:// URL for a store several app processes share "
        "(default: <home>/traces.sqlite3).",
    )
    # -- OpenTelemetry export: on when an OTLP endpoint is set (the standard OTEL_* variables) -------------
    otel_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP base URL; /v1/traces is appended (env OTEL_EXPORTER_OTLP_ENDPOINT)."
    )
    otel_traces_endpoint: str | None = Field(
        default=None, description="Full OTLP/HTTP traces URL, wins over otel_endpoint (env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)."
    )
    otel_protocol: Literal["http/protobuf"] | None = Field(
        default=None, description="Only OTLP over HTTP with protobuf is exported (env OTEL_EXPORTER_OTLP_PROTOCOL)."
    )
    otel_sdk_disabled: bool = Field(default=False, description="Turns export off whatever else is set (env OTEL_SDK_DISABLED).")
    otel_service_name: str = Field(default="guarded-rag", min_length=1, description="service.name (env OTEL_SERVICE_NAME).")
    otel_export_text: bool = Field(
        default=False, description="Export question, answer, model output and evidence text in spans (off: ids and numbers only)."
    )
    otel_queue_size: int = Field(
        default=16384, ge=512, le=1_000_000, description="Spans buffered for export; beyond it spans are dropped and counted."
    )
    otel_timeout: float = Field(
        default=5.0, gt=0, le=120, description="Seconds one export may take, retries included; also bounds the flush at exit."
    )
