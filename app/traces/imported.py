"""One line of a trace export on its way into a store (`traces import`): `ImportedTrace` checks it is a record
the app could have written and a store can keep (numbers in range, finite, each event its own seq; the trace id
normalised) before anything is saved, each problem naming its field."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from app.traces.models import TraceRecord

# The stores' INTEGER columns (llm_calls, a label's attempt, an event's seq): PostgreSQL's INTEGER is 32-bit.
COLUMN_INT_MAX = 2**31 - 1
JSON_INT_MAX = 2**63 - 1  # any other whole number in a trace: what SQLite (and most JSON readers) hold exactly
# The ids `traces import` takes. The app makes a uuid4's 32 hex digits (app/ids.py, app/serve/exchange.py; every
# version so far), but earlier versions imported any id as written, so a store, and its exports, can hold other
# shapes ("t0001", a dashed uuid): refusing them would leave an export of such a store unable to be imported again.
# What is refused is what broke a consumer: control characters and whitespace (a newline split a row of `traces`,
# a NUL was stored as U+FFFD), URL and path delimiters ('#', '&', '/' cut the Traces page's links), and non-ASCII
# lookalikes, which neither the lowercase lookup of `traces show ID` nor a reader can tell apart.
ID_SHAPE = re.compile(r"[0-9A-Za-z_-]{1,64}")
_SHOWN = 40  # characters of a refused id quoted in the message


class ImportedTrace(TraceRecord):
    """One line of a trace export being imported (`traces import`): a TraceRecord, minus what the app never writes
    and a store cannot keep. Found by exploratory testing: a count of 1e30 (SQLite: OverflowError) or a NaN
    latency (stored as NULL: IntegrityError) failed the import half way, after earlier lines were committed, and
    a negative count was stored as if real. Each problem names its field; `record()` is the TraceRecord to store.

    The trace id is normalised as `traces show` and `traces label` look ids up (stripped, lowercase, as the app
    makes them): an id imported in capitals could be found by neither. An id must have an id's shape (ID_SHAPE):
    found by a hunt, an id holding a newline split its row of `guarded-rag traces` in two, a NUL was stored as
    U+FFFD (the id changed without a word), and '#', '&' or a space cut the Traces page's links."""

    llm_calls: int = Field(ge=0, le=COLUMN_INT_MAX)
    latency_ms: float = Field(ge=0, allow_inf_nan=False)

    @field_validator("trace_id")
    @classmethod
    def _normal_id(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a trace id cannot be blank")
        if not ID_SHAPE.fullmatch(value):
            shown = repr(value[:_SHOWN]) + ("…" if len(value) > _SHOWN else "")
            raise ValueError(
                f"{shown} is not a trace id: an id is 1 to 64 letters, digits, '-' and '_' (the app makes 32 hex digits)"
            )
        return value.lower()

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
