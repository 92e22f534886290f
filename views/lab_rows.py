"""View layer: pure rows for the policy lab's tables and charts (What if, labels, sweeps) on the Traces page.

No Streamlit: plain dicts from the lab's reports, so the tables are thin and unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from app import FalseBlock, GuardrailQuality, ReplayReport, StoredDecision, SweepReport, TraceRecord

TRACE_LINK = "traces?trace={id}"  # the Traces page selects the trace named in the URL (views/traces.py)
LINK_TEXT = r"trace=(\w{8})"  # what a link column shows: the id's first 8 characters


def link(trace_id: str) -> str:
    """The Traces page's link to `trace_id`, the id URL-encoded: an imported trace's id may hold '#', '&' or a
    space, which cut the link short (it opened another trace, or none)."""
    return TRACE_LINK.format(id=quote(trace_id, safe=""))


def flip_rows(report: ReplayReport, records: Mapping[str, TraceRecord]) -> list[dict[str, Any]]:
    """One row per flipped decision, with the trace's question and how its outcome would change."""
    outcome = {o.trace_id: o for o in report.outcomes}
    rows = []
    for f in report.flipped:
        o = outcome.get(f.trace_id)
        record = records.get(f.trace_id)
        after = "—" if o is None else (o.after or "needs the model")
        rows.append(
            {
                "trace": link(f.trace_id),
                "question": record.question if record else "",
                "guardrail": f.guardrail,
                "decision": f"{f.before} → {f.after}",
                "run": f.attempt,
                "outcome": f"{record.status if record else '?'} → {after}" if o else "unchanged",
            }
        )
    return rows


def needs_model_rows(report: ReplayReport, records: Mapping[str, TraceRecord]) -> list[dict[str, Any]]:
    return [
        {
            "trace": link(o.trace_id),
            "question": records[o.trace_id].question if o.trace_id in records else "",
            "now": o.before,
            "why": o.reason,
        }
        for o in report.outcomes
        if o.kind == "needs_model"
    ]


def fire_rate_rows(report: ReplayReport) -> list[dict[str, Any]]:
    """Long format for a grouped bar chart: (guardrail, before|after, rate)."""
    return [
        {"guardrail": r.guardrail, "policy": when, "rate": getattr(r, when)}
        for r in report.fire_rates
        for when in ("before", "after")
    ]


def quality_rows(scores: Sequence[GuardrailQuality]) -> list[dict[str, Any]]:
    return [
        {
            "guardrail": q.guardrail,
            "labelled": q.labelled,
            "precision": q.precision,
            "recall": q.recall,
            "false-block rate": q.false_block_rate,
            "TP / FP / FN / TN": f"{q.tp} / {q.fp} / {q.fn} / {q.tn}",
        }
        for q in scores
    ]


def false_block_rows(blocked: Sequence[FalseBlock]) -> list[dict[str, Any]]:
    return [
        {
            "time": b.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            "trace": link(b.trace_id),
            "guardrail": b.guardrail,
            "status": b.status,
            "question": b.question,
            "note": b.note,
        }
        for b in blocked
    ]


METRICS = {"precision": "precision", "recall": "recall", "false_block_rate": "false-block", "miss_rate": "miss"}


def sweep_rows(report: SweepReport) -> list[dict[str, Any]]:
    """Long format for the sweep chart: (value, metric, rate); metrics without a value (no case) are left out."""
    rows = []
    for p in report.points:
        for field, name in METRICS.items():
            value = getattr(p.quality, field)
            if value is not None:
                rows.append({"value": p.value, "metric": name, "rate": value})
    return rows


def decision_label(d: StoredDecision) -> str:
    """'relevance #1 (retrieval): fired' — how a decision is offered for labelling."""
    if d.target == "outcome":
        return f"outcome: {d.decision}"
    return f"{d.target} #{d.attempt} ({d.stage}): {d.decision}"
