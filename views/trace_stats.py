"""View layer: pure aggregates over TraceRecord lists for the Traces page charts and exports.

No Streamlit: each function takes records and returns plain rows (list of dicts) or numbers, so the
charts are thin and the numbers unit-tested.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app import TraceFilter, TraceRecord, percentile

STATUSES = ("answered", "clarify", "refused", "fallback", "error")
RETRY_OUTCOMES = frozenset({"retry", "reask"})


def make_filter(
    *,
    status: str | None = None,
    guardrail: str | None = None,
    model: str | None = None,
    backend: str | None = None,
    dates: Sequence[date] = (),
    text: str = "",
    session: str | None = None,
    limit: int = 500,
) -> TraceFilter:
    """The TraceFilter for the page's widgets; a date range covers whole local days (stored times are UTC)."""
    since = until = None
    if len(dates) >= 1:
        since = datetime.combine(dates[0], time.min).astimezone().astimezone(UTC)
    if len(dates) >= 2:
        until = datetime.combine(dates[1], time.max).astimezone().astimezone(UTC)
    return TraceFilter(
        status=status or None,
        guardrail=guardrail or None,
        model=model or None,
        backend=backend or None,
        since=since,
        until=until,
        text=text.strip() or None,
        session=session,
        limit=limit,
    )


def fire_rate(records: Sequence[TraceRecord], names: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Per guardrail: how many requests it fired on, and that as a share of all requests."""
    counts = Counter(name for r in records for name in set(r.fired))
    total = len(records)
    every = list(dict.fromkeys([*names, *sorted(counts)]))
    return [{"guardrail": n, "fired": counts[n], "rate": round(counts[n] / total, 4) if total else 0.0} for n in every]


def status_over_time(records: Sequence[TraceRecord], *, bucket: str = "auto") -> list[dict[str, Any]]:
    """Rows {period, <status>: count...}, one per hour or day (auto: hours when the span is under 2 days)."""
    if not records:
        return []
    times = [r.created_at for r in records]
    if bucket == "auto":
        bucket = "hour" if max(times) - min(times) < timedelta(days=2) else "day"
    fmt = "%Y-%m-%d %H:00" if bucket == "hour" else "%Y-%m-%d"
    table: dict[str, Counter[str]] = {}
    for r in records:
        table.setdefault(r.created_at.astimezone().strftime(fmt), Counter())[r.status] += 1
    return [{"period": p, **{s: table[p][s] for s in STATUSES}} for p in sorted(table)]


def fmt_ms(value: float | None) -> str:
    """850 ms / 26.5 s / – (no value)."""
    if value is None:
        return "–"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def latency_summary(records: Sequence[TraceRecord]) -> dict[str, float | None]:
    values = [r.latency_ms for r in records]
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values) if values else None}


def latency_histogram(records: Sequence[TraceRecord], *, bins: int = 10) -> list[dict[str, Any]]:
    """Rows {bucket label, count, lower bound}; equal-width buckets over the observed latencies (ms)."""
    values = [r.latency_ms for r in records]
    if not values:
        return []
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = Counter(min(int((v - lo) / width), bins - 1) for v in values)
    used = range(bins) if hi > lo else range(1)
    return [
        {"latency_ms": f"{lo + i * width:.0f}–{lo + (i + 1) * width:.0f}", "start": lo + i * width, "count": counts[i]}
        for i in used
    ]


def retries(record: TraceRecord) -> int:
    """Transport retries and re-asks in one request (needs the record's events)."""
    return sum(1 for e in record.events if e.outcome in RETRY_OUTCOMES)


def calls_per_question(records: Sequence[TraceRecord]) -> list[dict[str, Any]]:
    """Oldest first: one row per request with its LLM calls and retries."""
    ordered = sorted(records, key=lambda r: r.created_at)
    return [{"trace": r.trace_id[:8], "llm_calls": r.llm_calls, "retries": retries(r)} for r in ordered]


def table_rows(records: Sequence[TraceRecord]) -> list[dict[str, Any]]:
    return [
        {
            "time": r.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            "status": r.status,
            "question": r.question,
            "fired": ", ".join(r.fired),
            "backend": r.backend,
            "model": r.model,
            "llm_calls": r.llm_calls,
            "latency_ms": round(r.latency_ms, 1),
            "trace_id": r.trace_id,
        }
        for r in records
    ]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralised(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a carriage
    return) gets a leading quote (CSV injection); an empty cell and every other value stay as they are."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def to_csv(records: Sequence[TraceRecord]) -> str:
    rows = table_rows(records)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["trace_id"])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _neutralised(v) for k, v in row.items()})
    return out.getvalue()


def to_jsonl(records: Sequence[TraceRecord]) -> str:
    return "".join(r.model_dump_json() + "\n" for r in records)
