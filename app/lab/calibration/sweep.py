"""The threshold choice of calibration, made with the policy lab's sweep (app/lab/policy/sweeps.py): each probe is
a LabelledCase (the context the relevance check sees for it, and whether it should be refused), the sweep
rechecks relevance at every candidate threshold, and the rule below picks one threshold per language.

App layer (lab), pure. The rule: the lowest threshold that still refuses at least `target` of the off-corpus
probes (a `recall >= target` target; the lowest of the values that meet it). Lower would answer more off-corpus
questions than promised; higher would only refuse more answerable ones. The answerable probes do not move the
choice, they report what it costs (the other side of the curve). With fewer than FEW_ANSWERABLE of them in a
language that cost is unmeasured, and the threshold never goes below the starting policy's (choose()).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from app import GuardrailPolicy, LabelledCase, SweepReport, Target, current_value, sweep
from guardrails import build_guardrails, run_guardrail

GRID = tuple(round(0.05 * i, 2) for i in range(1, 25))  # 0.05 .. 1.20: the printed curve
PARAM = {"en": "min_hybrid", "zh": "min_hybrid_zh"}  # relevance's threshold for questions without / with CJK
HIGHEST = 2.0  # relevance's thresholds are bounded by 0..2 (similarity + normalised BM25)
# Fewer answerable probes than this in a language: one miss moves its refused rate by more than 5 points, and the
# curve cannot show what a lower threshold costs, so calibration never lowers that language's threshold (below).
FEW_ANSWERABLE = 20


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CurvePoint(_Frozen):
    threshold: float
    answerable_refused: float | None
    off_corpus_answered: float | None


class Choice(_Frozen):
    lang: str
    threshold: float
    answerable: int
    off_corpus: int
    answerable_refused: float | None
    off_corpus_refused: float
    curve: tuple[CurvePoint, ...]
    rule_threshold: float | None = None  # set when the rule's value was not kept (too few answerable probes)


def candidates(cases: Sequence[LabelledCase], policy: GuardrailPolicy) -> list[float]:
    """The thresholds where an off-corpus probe's decision changes (just above its relevance, 3 decimals, within
    0..2) and the printed grid: the sweep needs no other value to find the lowest that meets a target."""
    guard = next(
        g for g in build_guardrails(policy.with_overrides({"relevance": {"enabled": True}}))["retrieval"] if g.name == "relevance"
    )
    edges = set()
    for case in cases:
        if case.should_fire:
            score = run_guardrail(guard, case.context).score
            if score is not None:
                # round() first: 1.001 * 1000 is 1000.999..., whose floor + 1 gave 1.001 itself, which refuses nothing
                edges.add(min(HIGHEST, max(0.0, (math.floor(round(score * 1000, 6)) + 1) / 1000)))
    return sorted({*GRID, *edges})


def choose(lang: str, cases: Sequence[LabelledCase], policy: GuardrailPolicy, *, target: float) -> Choice:
    """One language's threshold by the rule above, from the policy lab's sweep of relevance over `cases`."""
    off = sum(c.should_fire for c in cases)
    if not off:
        raise ValueError(f"no off-corpus probes in {lang}: cannot place a threshold")
    report = sweep(
        cases, policy, "relevance", PARAM[lang], candidates(cases, policy), Target("recall", ">=", target), tie="lowest"
    )
    rule = report.suggested if report.suggested is not None else HIGHEST  # none meets it: the strictest allowed
    threshold = rule
    if len(cases) - off < FEW_ANSWERABLE:
        # Few or no answerable probes (a small corpus, or none of its sentences in this language): the bundled
        # off-corpus questions share next to no words with it, so they all score near or below 0 and every
        # threshold from 0 up meets the target; the rule's lowest is then the plateau's edge, not a measured
        # trade-off (0.000 was written for a 7-chunk corpus and for one without Chinese text: it answers any question
        # scoring 0 or more). Keep the stricter of it and the starting policy's value: the probes may raise a
        # threshold, but a lower one would rest on too little evidence.
        # (the value relevance runs with: the policy's, else its default when a partial policy leaves it unset)
        threshold = max(rule, float(current_value(policy, "relevance", PARAM[lang])))
    at = {p.value: p.quality for p in report.points}
    if threshold not in at:  # nothing met the target, or the starting value was kept: measure that value too
        at.update({p.value: p.quality for p in _points(cases, policy, lang, [threshold]).points})
    chosen = at[threshold]
    return Choice(
        lang=lang,
        threshold=threshold,
        answerable=len(cases) - off,
        off_corpus=off,
        answerable_refused=chosen.false_block_rate,
        off_corpus_refused=chosen.recall or 0.0,
        curve=tuple(
            CurvePoint(threshold=v, answerable_refused=at[v].false_block_rate, off_corpus_answered=at[v].miss_rate)
            for v in sorted({*GRID, threshold})
        ),
        rule_threshold=rule if threshold != rule else None,
    )


def _points(cases: Sequence[LabelledCase], policy: GuardrailPolicy, lang: str, values: list[float]) -> SweepReport:
    return sweep(cases, policy, "relevance", PARAM[lang], values)
