"""Aggregates behind the Traces page charts and exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.traces import TraceRecord
from chains import TraceEvent
from views import trace_stats as ts


def rec(
    i: int,
    status: str = "answered",
    fired: tuple[str, ...] = (),
    latency: float = 100.0,
    calls: int = 1,
    events: tuple[TraceEvent, ...] = (),
    at: datetime | None = None,
) -> TraceRecord:
    return TraceRecord(
        trace_id=f"{i:032x}",
        created_at=at or datetime(2026, 1, 1, 10, tzinfo=UTC) + timedelta(minutes=i),
        question=f"q{i}",
        status=status,
        backend="embedded",
        model="m",
        llm_calls=calls,
        latency_ms=latency,
        fired=fired,
        events=events,
    )


def test_fire_rate_counts_each_request_once_and_lists_quiet_guardrails():
    records = [rec(1, fired=("relevance",)), rec(2, fired=("relevance", "grounding")), rec(3), rec(4)]
    rows = {r["guardrail"]: r for r in ts.fire_rate(records, ["completeness", "relevance", "grounding"])}
    assert rows["relevance"] == {"guardrail": "relevance", "fired": 2, "rate": 0.5}
    assert rows["grounding"]["rate"] == 0.25 and rows["completeness"]["fired"] == 0
    assert ts.fire_rate([], ["x"]) == [{"guardrail": "x", "fired": 0, "rate": 0.0}]


def test_percentiles_and_latency_summary():
    assert ts.percentile([], 50) is None
    assert ts.percentile([10, 20, 30, 40], 50) == 25
    assert ts.percentile(list(range(1, 101)), 95) == 95.05
    summary = ts.latency_summary([rec(i, latency=float(i)) for i in range(1, 11)])
    assert summary["p50"] == 5.5 and summary["max"] == 10


def test_latency_histogram_covers_every_record():
    hist = ts.latency_histogram([rec(i, latency=float(i * 10)) for i in range(20)], bins=5)
    assert len(hist) == 5 and sum(h["count"] for h in hist) == 20
    single = ts.latency_histogram([rec(1, latency=50.0)])
    assert [h["count"] for h in single] == [1]


def test_status_over_time_buckets_by_hour_for_short_spans_and_day_for_long():
    hourly = ts.status_over_time([rec(1), rec(2, "refused"), rec(90, "clarify")])
    assert len(hourly) == 2 and hourly[0]["answered"] == 1 and hourly[0]["refused"] == 1
    daily = ts.status_over_time([rec(1), rec(2, at=datetime(2026, 1, 9, tzinfo=UTC))])
    assert len(daily) == 2 and len(daily[0]["period"]) == 10
    assert ts.status_over_time([]) == []


def test_calls_and_retries_per_question():
    events = (
        TraceEvent(step="generation", name="transport_retry", outcome="retry"),
        TraceEvent(step="generation", name="reask", outcome="reask"),
        TraceEvent(step="generation", name="model_call", outcome="ok"),
    )
    rows = ts.calls_per_question([rec(2, calls=3, events=events), rec(1)])
    assert rows == [{"trace": "00000000", "llm_calls": 1, "retries": 0}, {"trace": "00000000", "llm_calls": 3, "retries": 2}]


def test_make_filter_turns_local_days_into_utc_bounds():
    flt = ts.make_filter(status="", guardrail="relevance", dates=(date(2026, 1, 1), date(2026, 1, 2)), text="  port ")
    assert flt.status is None and flt.guardrail == "relevance" and flt.text == "port"
    assert flt.since.tzinfo is not None and flt.since.utcoffset() == timedelta(0)
    assert flt.until - flt.since > timedelta(days=1, hours=23)


def test_exports_csv_neutralises_formulas_and_jsonl_has_one_line_per_record():
    records = [rec(1), rec(2).model_copy(update={"question": '=HYPERLINK("http://evil")'})]
    csv_text = ts.to_csv(records)
    assert "'=HYPERLINK" in csv_text and csv_text.splitlines()[0].startswith("time,status,question")
    assert len(ts.to_jsonl(records).splitlines()) == 2


def test_fmt_ms():
    assert ts.fmt_ms(None) == "–" and ts.fmt_ms(850.4) == "850 ms" and ts.fmt_ms(26481.0) == "26.5 s"
