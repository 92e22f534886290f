"""The `traces` table as both SQL stores (SQLite, app/traces/sqlite*.py; PostgreSQL, app/traces/postgres*.py) write
and read it: its columns, the row a record is written as, and a filter's conditions. What differs between the two
SQL dialects (the parameter mark, the substring test, how a time is stored) is a Dialect each store passes in."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.traces.models import TraceFilter, TraceRecord

COLUMNS = (
    "trace_id",
    "created_at",
    "question",
    "status",
    "backend",
    "model",
    "rung",
    "llm_calls",
    "latency_ms",
    "fired",
    "session",
    "result_json",
    "origin",
)
SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM traces"
LABELLED = "EXISTS (SELECT 1 FROM labels l WHERE l.trace_id = traces.trace_id)"


@dataclass(frozen=True)
class Dialect:
    """What a store's SQL writes differently: `mark`, its parameter placeholder; `fired`, the condition that the
    `fired` column holds one argument (",name,"); `question`, that the question holds one argument, case folded;
    `time`, a time as the store keeps it (written and compared)."""

    mark: str
    fired: str
    question: str
    time: Callable[[datetime], Any]


def utc(value: datetime) -> datetime:
    """`value` in UTC; a time without an offset is taken as UTC (as TraceRecord does). One that has no UTC form
    (0001-01-01T00:00+05:00, which TraceRecord refuses) is kept as given rather than failing every save retry."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return value


def record_row(record: TraceRecord, time: Callable[[datetime], Any]) -> tuple[Any, ...]:
    """The values of `record` in COLUMNS order, its time as `time` gives it (the store's Dialect.time)."""
    return (
        record.trace_id,
        time(record.created_at),
        record.question,
        record.status,
        record.backend,
        record.model,
        record.rung,
        record.llm_calls,
        record.latency_ms,
        "," + ",".join(record.fired) + ",",
        record.session,
        json.dumps(record.result, ensure_ascii=False, default=str),
        record.origin,
    )


def listing(flt: TraceFilter, dialect: Dialect) -> tuple[str, list[Any]]:
    """The query (and its arguments) of the records matching `flt`, newest first."""
    where: list[str] = []
    args: list[Any] = []
    for column in ("status", "model", "backend", "session"):
        value = getattr(flt, column)
        if value:
            where.append(f"{column} = {dialect.mark}")
            args.append(value)
    if flt.guardrail:
        where.append(dialect.fired)
        args.append(f",{flt.guardrail},")
    if flt.since:
        where.append(f"created_at >= {dialect.mark}")
        args.append(dialect.time(flt.since))
    if flt.until:
        where.append(f"created_at <= {dialect.mark}")
        args.append(dialect.time(flt.until))
    if flt.text:
        where.append(dialect.question)
        args.append(flt.text)
    if flt.labelled is not None:
        where.append(LABELLED if flt.labelled else f"NOT {LABELLED}")
    order = f" ORDER BY created_at DESC, trace_id DESC LIMIT {dialect.mark}"
    return SELECT + (" WHERE " + " AND ".join(where) if where else "") + order, [*args, flt.limit]
