"""The trace records every store keeps: one request's summary columns, its result (the CLI --json shape) and
its events, plus the filter the Traces page, the CLI and the HTTP API query with."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chains import TraceEvent


class TraceRecord(BaseModel):
    """One stored request: the summary columns, the full result (the CLI --json shape) and its events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trace_id: str
    created_at: datetime
    question: str
    status: str
    backend: str
    model: str
    rung: str | None = None
    llm_calls: int
    latency_ms: float
    fired: tuple[str, ...] = ()
    session: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    events: tuple[TraceEvent, ...] = ()


class TraceFilter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str | None = None
    guardrail: str | None = Field(default=None, description="Only traces where this guardrail fired.")
    model: str | None = None
    backend: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = Field(default=None, description="Substring of the question.")
    session: str | None = None
    limit: int = Field(default=50, ge=1, le=100_000)


def redact(question: str) -> str:
    return "[redacted sha256:" + hashlib.sha256(question.encode("utf-8")).hexdigest()[:12] + "]"
