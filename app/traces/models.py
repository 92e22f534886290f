"""The trace records every store keeps: one request's summary columns, its result (the CLI --json shape), its
events, what its guardrails saw (inputs, for replay) and the labels people or eval runs gave its decisions, plus
the filter the Traces page, the CLI and the HTTP API query with."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from chains import GuardInputs, Status, TraceEvent
from guardrails import GuardrailPolicy

OUTCOME = "outcome"  # the label target that means the request's outcome rather than one guardrail's decision
NOTE_MAX = 2000  # characters in a label's note
# The stores' INTEGER columns (llm_calls, a label's attempt, an event's seq): PostgreSQL's INTEGER is 32-bit.
COLUMN_INT_MAX = 2**31 - 1
JSON_INT_MAX = 2**63 - 1  # any other whole number in a trace: what SQLite (and most JSON readers) hold exactly


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


class ImportedTrace(TraceRecord):
    """One line of a trace export being imported (`traces import`): a TraceRecord, minus what the app never writes
    and a store cannot keep. Found by exploratory testing: a count of 1e30 (SQLite: OverflowError) or a NaN
    latency (stored as NULL: IntegrityError) failed the import half way, after earlier lines were committed, and
    a negative count was stored as if real. Each problem names its field; `record()` is the TraceRecord to store.

    The trace id is normalised as `traces show` and `traces label` look ids up (stripped, lowercase, as the app
    makes them): an id imported in capitals could be found by neither."""

    llm_calls: int = Field(ge=0, le=COLUMN_INT_MAX)
    latency_ms: float = Field(ge=0, allow_inf_nan=False)

    @field_validator("trace_id")
    @classmethod
    def _normal_id(cls, value: str) -> str:
        value = value.strip().lower()
        if not value:
            raise ValueError("a trace id cannot be blank")
        return value

    @model_validator(mode="after")
    def _storable(self) -> ImportedTrace:
        problems = [f"{where}: {what}" for where, what in _unstorable_numbers(self)]
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise ValueError("; ".join(problems[:3]) + more)
        return self

    @classmethod
    def from_line(cls, line: str) -> TraceRecord:
        """The TraceRecord a line of an export file holds; pydantic's ValidationError naming each bad field."""
        return cls.model_validate_json(line).record()

    def record(self) -> TraceRecord:
        """The same record as a plain TraceRecord (what the stores and readers compare and keep)."""
        return TraceRecord.model_construct(**{name: getattr(self, name) for name in TraceRecord.model_fields})


def _unstorable_numbers(record: TraceRecord) -> Iterator[tuple[str, str]]:
    """(field path, problem) for every number in `record` a store cannot keep as given, or that no trace has."""
    if _any_bad_number(record):  # the paths are worked out only then: dumping every trace doubled an import's time
        dumped = record.model_dump(  # without the columns below: they have narrower bounds
            exclude={"llm_calls": True, "latency_ms": True, "events": {"__all__": {"seq"}}, "labels": {"__all__": {"attempt"}}}
        )
        yield from _numbers(dumped, "")
    seqs: set[int] = set()
    for i, event in enumerate(record.events):
        if not -COLUMN_INT_MAX - 1 <= event.seq <= COLUMN_INT_MAX:
            yield f"events.{i}.seq", f"{event.seq} is out of range (at most {COLUMN_INT_MAX})"
        elif event.seq in seqs:
            yield f"events.{i}.seq", f"{event.seq} is the seq of an earlier event too; each event has its own"
        seqs.add(event.seq)
        if event.duration_ms < 0:
            yield f"events.{i}.duration_ms", f"{event.duration_ms} is negative"
        for name, count in (event.tokens or {}).items():
            if count < 0:
                yield f"events.{i}.tokens.{name}", f"{count} is negative"
    for i, label in enumerate(record.labels):
        if label.attempt > COLUMN_INT_MAX:  # >= 1 already (TraceLabel)
            yield f"labels.{i}.attempt", f"{label.attempt} is out of range (at most {COLUMN_INT_MAX})"
    if record.inputs is not None and record.inputs.omitted < 0:
        yield "inputs.omitted", f"{record.inputs.omitted} is negative"


def _any_bad_number(root: Any) -> bool:
    """Whether a non-finite float or a whole number beyond 64 bits is anywhere in `root` (a model, its fields, and
    what they hold), without building a path or a dump: one pass over the objects."""
    stack = [root]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is float:
            if not math.isfinite(value):
                return True
        elif kind is int:
            if abs(value) > JSON_INT_MAX:
                return True
        elif kind is dict:
            stack.extend(value.values())
        elif kind is tuple or kind is list:
            stack.extend(value)
        elif isinstance(value, BaseModel):
            stack.extend(value.__dict__.values())
            stack.extend((value.__pydantic_extra__ or {}).values())
    return False


def _numbers(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Non-finite floats (NaN is stored as NULL or null and read back as no number) and whole numbers beyond 64 bits
    anywhere in a dumped record."""
    if isinstance(value, float) and not math.isfinite(value):
        yield where or "the line", f"{value} is not a finite number"
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > JSON_INT_MAX:
        yield where or "the line", f"{value} is out of range (at most {JSON_INT_MAX} in magnitude)"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _numbers(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _numbers(item, f"{where}.{i}" if where else str(i))


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


class ImportResult(BaseModel):
    """What `import_jsonl` did: distinct traces imported, how many of them replaced a stored copy, and how many of
    those copies' labels were kept (made after the export, or newer than the export's judgement)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    imported: int
    replaced: int = 0
    labels_kept: int = 0


def merged_with_stored(
    records: Sequence[TraceRecord], stored: Mapping[str, Sequence[TraceLabel]]
) -> tuple[list[TraceRecord], ImportResult]:
    """`records` about to replace their stored copies, each with its labels merged with the stored ones (merge_labels)
    when `stored` (trace id -> labels, for every id already stored) has it. A backend calls this inside the write
    transaction that replaces them, having read `stored` in it: a label saved meanwhile is then either read
    here or written after the import, never overwritten by it."""
    merged, replaced, kept = [], 0, 0
    for record in records:
        if record.trace_id in stored:
            labels, won = merge_labels(stored[record.trace_id], record.labels)
            record, replaced, kept = record.model_copy(update={"labels": labels}), replaced + 1, kept + won
        merged.append(record)
    return merged, ImportResult(imported=len(records), replaced=replaced, labels_kept=kept)
