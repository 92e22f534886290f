"""The trace records every store keeps: one request's summary columns, its result (the CLI --json shape), its
events, what its guardrails saw (inputs, for replay) and the labels people or eval runs gave its decisions, plus
the filter the Traces page, the CLI and the HTTP API query with."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from chains import GuardInputs, Status, TraceEvent
from guardrails import GuardrailPolicy

OUTCOME = "outcome"  # the label target that means the request's outcome rather than one guardrail's decision


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
    note: str = Field(default="", max_length=2000)
    source: Literal["user", "eval"] = "user"
    created_at: UtcTime


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


def redact(question: str) -> str:
    return "[redacted sha256:" + hashlib.sha256(question.encode("utf-8")).hexdigest()[:12] + "]"


# NUL and lone surrogates (a bad decoding, a hostile client) cannot be encoded for SQLite's UTF-8 or stored in
# PostgreSQL's TEXT at all: one such record would fail every retry and hold back every trace queued after it.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(record: TraceRecord) -> TraceRecord:
    """`record` itself when every string in it can be stored; else a copy with those characters replaced by
    U+FFFD (the only change a store ever makes to a trace)."""
    # Fast path: pydantic's JSON serializer visits every string in its compiled code, writing a NUL as the escape
    # \u0000 and failing on a lone surrogate. Only when it sees either does the slow walk below run (a literal
    # backslash-u0000 in a text also sends it there; the walk then finds nothing and keeps the record). The walk
    # over a whole trace in Python cost ~1 ms of the writer's CPU per trace, on the GIL requests need.
    try:
        clean = "\\u0000" not in record.model_dump_json()
    except ValueError:  # PydanticSerializationError: a surrogate
        clean = False
    if clean:
        return record
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


def record_from_row(row: Sequence[Any], *, created_at: datetime, events: tuple[TraceEvent, ...]) -> TraceRecord:
    """A TraceRecord from a `traces` row in the column order every store selects (sqlite.COLUMNS); the stores
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


def merge_labels(stored: Sequence[TraceLabel], imported: Sequence[TraceLabel]) -> tuple[tuple[TraceLabel, ...], int]:
    """The labels of a trace imported over its stored copy: for each decision (target, attempt) the newer
    judgement, and every label only one side has, so an old export does not erase labels made since. Also
    returns how many of the stored labels were kept over (or beside) the imported ones."""
    merged = {(lb.target, lb.attempt): lb for lb in imported}
    kept = 0
    for lb in stored:
        other = merged.get((lb.target, lb.attempt))
        if other is None or lb.created_at > other.created_at:
            merged[(lb.target, lb.attempt)] = lb
            kept += 1
    return tuple(sorted(merged.values(), key=lambda lb: (lb.created_at, lb.target, lb.attempt))), kept
