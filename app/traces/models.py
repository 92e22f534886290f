"""The trace records every store keeps: one request's summary columns, its result (the CLI --json shape), its
events, what its guardrails saw (inputs, for replay) and the labels people or eval runs gave its decisions; the
filter the Traces page, the CLI and the HTTP API query with; and the two forms a stored field takes (a redacted
question, a record rebuilt from a `traces` row)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from chains import GuardInputs, Status, TraceEvent
from guardrails import GuardrailPolicy

OUTCOME = "outcome"  # the label target that means the request's outcome rather than one guardrail's decision
NOTE_MAX = 2000  # characters in a label's note

# NUL and lone surrogates (a bad decoding, a hostile client) cannot be encoded for SQLite's UTF-8 or stored in
# PostgreSQL's TEXT at all: every store keeps them as U+FFFD (app.traces.storable), and looks them up so.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """`value` with the characters no store can keep replaced by U+FFFD, as a stored trace has them."""
    return UNSTORABLE.sub("\ufffd", value)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is in year 0 in UTC: a validation error naming the field, not a crash
        raise ValueError(f"{value.isoformat()} is out of range once converted to UTC (years 1 to 9999)") from None


# Every stored time is UTC: SQLite compares them as text, so an imported "23:00+08:00" (15:00 UTC) sorted as the
# newest trace and passed a --since of 18:00 UTC. A time without an offset is taken as UTC, as the stores write it.
UtcTime = Annotated[datetime, AfterValidator(_utc)]


class TraceStoreError(RuntimeError):
    """The trace store cannot be opened or used (server down, wrong URL, authentication, schema too new)."""


class TraceInputs(BaseModel):
    """What a request's guardrails saw, stage by stage (schema v3): enough to recompute every decision under
    another policy without a model. `note` says why some or all of it was not kept."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: GuardrailPolicy | None = Field(
        default=None, description="The policy the request ran with (session overrides included)."
    )
    captures: tuple[GuardInputs, ...] = ()
    omitted: int = Field(default=0, description="Captures left out, the last ones first, to keep the trace under its size cap.")
    note: str | None = None


class TraceLabel(BaseModel):
    """A person's (or an eval run's) judgement of one decision of a stored request: right or wrong."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str = Field(description=f"A guardrail name, or {OUTCOME!r} for the request's outcome.")
    attempt: int = Field(
        default=1, ge=1, description="The nth time the guardrail ran in the request (output: nth answer checked)."
    )
    correct: bool
    decision: str = Field(description="What was judged: 'fired' or 'passed' (a guardrail), the status (the outcome).")
    note: str = Field(default="", max_length=NOTE_MAX)
    source: Literal["user", "eval"] = "user"
    created_at: UtcTime

    @field_validator("target", "decision", "note", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """NUL and lone surrogates as U+FFFD: what app.traces.storable does to a trace. Before the string checks:
        a lone surrogate (a note given on a command line that is not UTF-8) was a validation error."""
        return storable_text(value) if isinstance(value, str) else value


class TraceRecord(BaseModel):
    """One stored request: the summary columns, the full result (the CLI --json shape) and its events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trace_id: str = Field(min_length=1)
    created_at: UtcTime
    question: str
    status: Status
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
    inputs: TraceInputs | None = Field(default=None, description="None: recorded before inputs were kept (not replayable).")
    labels: tuple[TraceLabel, ...] = ()


class TraceFilter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str | None = None
    guardrail: str | None = Field(default=None, description="Only traces where this guardrail fired.")
    model: str | None = None
    backend: str | None = None
    since: UtcTime | None = None
    until: UtcTime | None = None
    text: str | None = Field(default=None, description="Substring of the question.")
    session: str | None = None
    labelled: bool | None = Field(default=None, description="True: only traces with a label; False: only without.")
    limit: int = Field(default=50, ge=1, le=100_000)

    @field_validator("status", "guardrail", "model", "backend", "text", "session")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        """Looked up as stored (U+FFFD): a NUL made PostgreSQL raise DataError and a lone surrogate made both
        stores raise UnicodeEncodeError, instead of finding the traces that hold them."""
        return storable_text(value) if value is not None else None


def redact(question: str) -> str:
    return "[redacted sha256:" + hashlib.sha256(question.encode("utf-8")).hexdigest()[:12] + "]"


def record_from_row(row: Sequence[Any], *, created_at: datetime, events: tuple[TraceEvent, ...]) -> TraceRecord:
    """A TraceRecord from a `traces` row in the column order every store selects (table.COLUMNS); the stores
    differ only in how their driver returns the timestamp, so they convert it and pass it in."""
    return TraceRecord(
        trace_id=row[0],
        created_at=created_at,
        question=row[2],
        status=row[3],
        backend=row[4],
        model=row[5],
        rung=row[6],
        llm_calls=row[7],
        latency_ms=row[8],
        fired=tuple(n for n in row[9].split(",") if n),
        session=row[10],
        result=json.loads(row[11]),
        origin=row[12],
        events=events,
    )
