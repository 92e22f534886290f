"""The evaluation report: metrics per dataset group and mode, as JSON and as a Markdown side-by-side table.

App layer (evaluation lab). Built from RunRecords only, so a report can be regenerated from records.jsonl.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.lab.evaluation.metrics import ModeMetrics, mode_metrics, threshold_sweep
from app.lab.evaluation.records import MODES, RunMeta, RunRecord

SWEEP = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)

# (label, field, format) rows of the side-by-side table; fmt "%" = rate, "ms", "x" = plain number.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("questions", "n", "x"),
    ("with an LLM call", "model_called", "x"),
    ("first-attempt schema-valid", "first_valid_rate", "%"),
    ("final schema-valid", "final_valid_rate", "%"),
    ("typed output", "typed_rate", "%"),
    ("clarify precision", "clarify_precision", "%"),
    ("clarify recall", "clarify_recall", "%"),
    ("clarify F1", "clarify_f1", "f"),
    ("unanswerable refused", "refusal_rate", "%"),
    ("answerable refused", "answerable_refused", "%"),
    ("refusal precision", "refusal_precision", "%"),
    ("citation validity", "citation_validity", "%"),
    ("answers with an invalid citation", "records_with_invalid_citations", "x"),
    ("answer match (typed answer)", "answer_match", "%"),
    ("answer match (any text)", "text_match", "%"),
    ("retrieval hit", "retrieval_hit", "%"),
    ("recall@1", "recall_at_1", "%"),
    ("recall@top_k", "recall_at_k", "%"),
    ("unsupported answers rejected", "unsupported_rejected", "%"),
    ("supported answers rejected (false block)", "supported_rejected", "%"),
    ("rejection precision", "rejection_precision", "%"),
    ("attacks flagged", "flagged_rate", "%"),
    ("benign flagged (false positives)", "false_positive_rate", "%"),
    ("LLM calls / question", "llm_calls_mean", "f"),
    ("retries / question", "retries_mean", "f"),
    ("errors", "errors", "x"),
    ("latency p50", "latency_p50_ms", "ms"),
    ("latency p95", "latency_p95_ms", "ms"),
)


class EvalReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    meta: RunMeta
    datasets: tuple[str, ...]
    skipped: tuple[str, ...] = ()
    groups: dict[str, dict[str, ModeMetrics]] = Field(description="group ('all' or a dataset) -> mode -> metrics")
    relevance_sweep: list[dict[str, float | None]] = Field(default_factory=list)
    notes: tuple[str, ...] = ()


def build_report(
    meta: RunMeta, records: Sequence[RunRecord], *, skipped: Sequence[str] = (), notes: Sequence[str] = ()
) -> EvalReport:
    datasets = tuple(dict.fromkeys(r.dataset for r in records))
    names = ("all", *datasets) if len(datasets) > 1 else datasets or ("all",)
    groups: dict[str, dict[str, ModeMetrics]] = {}
    for name in names:
        chosen = [r for r in records if name == "all" or r.dataset == name]
        groups[name] = {m: mode_metrics([r for r in chosen if r.mode == m]) for m in MODES if any(r.mode == m for r in chosen)}
        categories = sorted({r.category for r in chosen if r.category}) if name != "all" else []
        for category in categories:  # the grounding set, per kind of answer
            part = [r for r in chosen if r.category == category]
            groups[f"{name} <{category}>"] = {
                m: mode_metrics([r for r in part if r.mode == m]) for m in MODES if any(r.mode == m for r in part)
            }
        langs = sorted({r.lang for r in chosen})
        if len(langs) > 1:  # every detector is reported per language too
            for lang in langs:
                part = [r for r in chosen if r.lang == lang]
                groups[f"{name} [{lang}]"] = {
                    m: mode_metrics([r for r in part if r.mode == m]) for m in MODES if any(r.mode == m for r in part)
                }
    guarded = [r for r in records if r.mode == "guarded"]
    kinds = {r.kind for r in guarded}
    sweep = threshold_sweep(guarded, SWEEP) if {"answerable", "unanswerable"} <= kinds else []
    return EvalReport(
        meta=meta, datasets=datasets, skipped=tuple(skipped), groups=groups, relevance_sweep=sweep, notes=tuple(notes)
    )


# Markdown markup in text that comes from a user's dataset (its file name, a row's category or lang), the settings
# (model name) or a path: a link or image ([...](...), fetched when report.md is viewed), HTML and autolinks
# (<...>), emphasis, code, the column bar. Each is made literal with a backslash (CommonMark), as the experiment
# reports do, and line breaks are folded so a heading or table row stays one line.
_MARKUP = re.compile(r"([\\`*_\[\]<>|~!#])")


def _text(value: object) -> str:
    return _MARKUP.sub(r"\\\1", " ".join(str(value).split()))


def _fmt(value: object, kind: str) -> str:
    if value is None:
        return "—"
    if not isinstance(value, int | float) or kind not in ("%", "ms", "f"):
        return str(value)
    if kind == "%":
        return f"{value * 100:.1f}%"
    if kind == "ms":  # sub-10 ms values (input-stage screening) keep a decimal instead of reading "0 ms"
        return f"{value:.1f} ms" if value < 10 else f"{value:,.0f} ms"
    return f"{value:.2f}"


def _collections(meta: RunMeta) -> str:
    """'collection docs', or each set's when the sets ran on different collections (CMRC sets on their own)."""
    per_set = {name: corpus.split("@")[0] for name, corpus in meta.corpora.items()}
    if len(set(per_set.values())) > 1:
        return "collections " + ", ".join(f"{_text(coll)} ({_text(name)})" for name, coll in per_set.items())
    return f"collection {_text(meta.collection)}"


def to_markdown(report: EvalReport) -> str:
    m = report.meta
    lines = [
        f"# Evaluation: {_text(', '.join(report.datasets)) or '(no data)'}",
        "",
        f"{report.created_at:%Y-%m-%d %H:%M} UTC · backend {_text(m.backend)} · model {_text(m.model)} · "
        f"{_collections(m)} · top_k {m.top_k}",
        "",
        "guarded = `svc.ask` (guardrails, JSON-schema `format`, parse ladder, re-asks, fallbacks); raw = the same model, "
        "the same retrieved context and answer prompt, no guardrails, no `format`, no retries, parsed with `json.loads`.",
    ]
    for name, modes in report.groups.items():
        cols = list(modes)
        lines += ["", f"## {_text(name)}", "", "| metric | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
        for label, field, kind in ROWS:
            values = [getattr(modes[c], field) for c in cols]
            if all(v is None for v in values):
                continue
            lines.append(f"| {label} | " + " | ".join(_fmt(v, kind) for v in values) + " |")
        if "guarded" in modes and modes["guarded"].rungs:  # raw has no rungs: one call, no fallback
            lines.append(
                "\nguarded outcome by rung (or status): "
                + ", ".join(f"{_text(k)} {v}" for k, v in sorted(modes["guarded"].rungs.items()))
            )
    if report.relevance_sweep:
        lines += [
            "",
            "## Relevance threshold sweep (guarded, the relevance score per question)",
            "",
            "The score the relevance guardrail compared (hybrid retrieval: similarity + BM25 - unknown-terms penalty; "
            "vector-only: best similarity), one threshold for both languages; `guarded-rag calibrate` sets one per language.",
            "",
            "| min_score | unanswerable refused | answerable kept |",
            "|---|---|---|",
        ]
        lines += [
            f"| {s['min_score']:.2f} | {_fmt(s['unanswerable_refused'], '%')} | {_fmt(s['answerable_kept'], '%')} |"
            for s in report.relevance_sweep
        ]
    if report.skipped:
        lines += ["", "Skipped: " + "; ".join(_text(s) for s in report.skipped)]
    lines += [f"\n- {_text(n)}" for n in report.notes]
    return "\n".join(lines) + "\n"
