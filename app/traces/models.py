"""The trace records every store keeps: one request's summary columns, its result (the CLI --json shape) and
its events, plus the filter the Traces page, the CLI and the HTTP API query with."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chains import TraceEvent


class TraceStoreError(RuntimeError):
    """The trace store cannot be opened or used (server down, wrong URL, authentication, schema too new)."""


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
    origin: str | None = Field(default=None, description="host/pid of the process that answered (schema v2).")
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


# NUL and lone surrogates (a bad decoding, a hostile client) cannot be encoded for SQLite's UTF-8 or stored in
# PostgreSQL's TEXT at all: one such record would fail every retry and hold back every trace queued after it.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(record: TraceRecord) -> TraceRecord:
    """`record` itself when every string in it can be stored; else a copy with those characters replaced by
    U+FFFD (the only change a store ever makes to a trace)."""
    dumped = record.model_dump()
    if not _has_unstorable(dumped):
        return record
    return TraceRecord.model_validate(_clean(dumped))


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_unstorable(v) for v in value)
    return False


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value
