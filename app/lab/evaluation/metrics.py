"""Metrics of the evaluation lab: percentiles, precision/recall/F1, and the per-mode summary of a run.

App layer (evaluation lab); pure functions over RunRecords. A rate whose denominator is empty is None
("not measured"), never 0, so a report cannot claim a refusal rate on a run without unanswerable items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from app import percentile
from app.lab.evaluation.records import RunRecord


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


class Confusion(_Frozen):
    """Binary classification counts with 'positive' = the item needs clarification (or is an attack)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return rate(self.tp, self.tp + self.fp) if self.tp + self.fp else (None if not self.fn else 0.0)

    @property
    def recall(self) -> float | None:
        return rate(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return round(2 * p * r / (p + r), 4) if p + r else 0.0


def confusion(pairs: Iterable[tuple[bool, bool]]) -> Confusion:
    """(actual, predicted) pairs -> counts."""
    c = Counter((bool(a), bool(p)) for a, p in pairs)
    return Confusion(tp=c[(True, True)], fp=c[(False, True)], fn=c[(True, False)], tn=c[(False, False)])


def citation_validity(records: Iterable[RunRecord]) -> tuple[int, int, int]:
    """(valid citations, all citations, answered records with at least one invalid citation)."""
    valid = total = bad_records = 0
    for r in records:
        if r.answer is None:
            continue
        total += len(r.citations)
        valid += len(r.citations) - r.invalid_citations
        bad_records += r.invalid_citations > 0
    return valid, total, bad_records


class ModeMetrics(_Frozen):
    """Everything the report compares, for one mode over one group of records."""

    n: int
    model_called: int = Field(description="Records with at least one LLM call.")
    first_valid_rate: float | None = None
    final_valid_rate: float | None = None
    typed_rate: float | None = None
    clarify_precision: float | None = None
    clarify_recall: float | None = None
    clarify_f1: float | None = None
    clarify_counts: Confusion | None = None
    refusal_rate: float | None = Field(default=None, description="Unanswerable items refused or declined.")
    answerable_refused: float | None = Field(
        default=None, description="Answerable items refused or declined (the false-refusal rate of relevance)."
    )
    refusal_precision: float | None = Field(
        default=None, description="Of the refused or declined items (answerable + unanswerable), the unanswerable share."
    )
    citation_validity: float | None = None
    citations_total: int = 0
    records_with_invalid_citations: int | None = Field(default=None, description="None when nothing was answered.")
    answer_match: float | None = Field(default=None, description="Gold found in the typed answer.")
    text_match: float | None = Field(default=None, description="Gold found anywhere in the output.")
    gold_items: int = 0
    retrieval_hit: float | None = None
    recall_at_1: float | None = Field(default=None, description="An expected source is the first retrieved chunk.")
    recall_at_k: float | None = Field(default=None, description="An expected source is among the top_k retrieved chunks.")
    flagged_rate: float | None = Field(default=None, description="Attacks refused by the input guardrails.")
    false_positive_rate: float | None = Field(default=None, description="Benign questions refused by the input guardrails.")
    llm_calls_mean: float | None = None
    retries_mean: float | None = None
    errors: int = 0
    statuses: dict[str, int] = Field(default_factory=dict)
    rungs: dict[str, int] = Field(default_factory=dict)
    unsupported_rejected: float | None = Field(
        default=None, description="Grounding set: unsupported answers rejected (recall of the output checks)."
    )
    rejection_precision: float | None = Field(default=None, description="Grounding set: rejected answers that were unsupported.")
    supported_rejected: float | None = Field(
        default=None, description="Grounding set: supported answers rejected (false blocks)."
    )
    grounding_counts: Confusion | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def mode_metrics(records: Sequence[RunRecord]) -> ModeMetrics:
    called = [r for r in records if r.llm_calls > 0]
    scored = [r for r in records if r.kind not in ("injection", "benign")]
    vague = [r for r in records if r.kind in ("vague", "clear")]
    unans = [r for r in records if r.kind == "unanswerable"]
    answerable = [r for r in records if r.kind == "answerable"]
    ranked = [r for r in records if r.hit_rank is not None]
    gold = [r for r in records if r.keyword_match is not None or r.text_match is not None]
    hits = [r for r in records if r.retrieval_hit is not None]
    attacks = [r for r in records if r.kind == "injection"]
    benign = [r for r in records if r.kind == "benign"]
    conf = confusion((r.kind == "vague", r.clarify) for r in vague) if vague else None
    judged = [r for r in records if r.kind in ("supported", "unsupported")]
    gconf = confusion((r.kind == "unsupported", r.flagged) for r in judged) if judged else None
    valid, total, bad = citation_validity(records)
    latencies = [r.latency_ms for r in scored]
    return ModeMetrics(
        n=len(records),
        model_called=len(called),
        first_valid_rate=rate(sum(bool(r.first_valid) for r in called), len(called)),
        final_valid_rate=rate(sum(bool(r.final_valid) for r in called), len(called)),
        typed_rate=rate(sum(r.typed for r in scored), len(scored)),
        clarify_precision=conf.precision if conf else None,
        clarify_recall=conf.recall if conf else None,
        clarify_f1=conf.f1 if conf else None,
        clarify_counts=conf,
        refusal_rate=rate(sum(r.declined for r in unans), len(unans)),
        answerable_refused=rate(sum(r.declined for r in answerable), len(answerable)),
        refusal_precision=rate(sum(r.declined for r in unans), sum(r.declined for r in unans + answerable))
        if unans and answerable
        else None,
        citation_validity=rate(valid, total),
        citations_total=total,
        records_with_invalid_citations=bad if any(r.answer is not None for r in records) else None,
        answer_match=rate(sum(bool(r.keyword_match) for r in gold), len(gold)),
        text_match=rate(sum(bool(r.text_match) for r in gold), len(gold)),
        gold_items=len(gold),
        retrieval_hit=rate(sum(bool(r.retrieval_hit) for r in hits), len(hits)),
        recall_at_1=rate(sum(r.hit_rank == 1 for r in ranked), len(ranked)),
        recall_at_k=rate(sum((r.hit_rank or 0) >= 1 for r in ranked), len(ranked)),
        flagged_rate=rate(sum(r.flagged for r in attacks), len(attacks)),
        false_positive_rate=rate(sum(r.flagged for r in benign), len(benign)),
        llm_calls_mean=_mean([r.llm_calls for r in scored]),
        retries_mean=_mean([r.retries for r in scored]),
        errors=sum(r.status == "error" for r in records),
        statuses=dict(Counter(r.status for r in records)),
        rungs=dict(Counter(r.rung or f"({r.status})" for r in scored)),
        unsupported_rejected=gconf.recall if gconf else None,
        rejection_precision=gconf.precision if gconf and gconf.tp + gconf.fp else None,
        supported_rejected=rate(gconf.fp, gconf.fp + gconf.tn) if gconf else None,
        grounding_counts=gconf,
        latency_p50_ms=_round(percentile(latencies, 50)),
        latency_p95_ms=_round(percentile(latencies, 95)),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def threshold_sweep(records: Sequence[RunRecord], thresholds: Sequence[float]) -> list[dict[str, float | None]]:
    """For a relevance threshold candidate: share of unanswerable items refused and of answerable items kept,
    from the score the relevance guardrail compared (hybrid: its relevance; vector-only: the best similarity).
    The key stays "min_score" for readers of older report.json files."""

    def score(r: RunRecord) -> float | None:
        return r.relevance if r.relevance is not None else r.best_score

    ans = [s for r in records if r.kind == "answerable" and (s := score(r)) is not None]
    una = [s for r in records if r.kind == "unanswerable" and (s := score(r)) is not None]
    return [
        {
            "min_score": t,
            "unanswerable_refused": rate(sum(s < t for s in una), len(una)),
            "answerable_kept": rate(sum(s >= t for s in ans), len(ans)),
        }
        for t in thresholds
    ]
