"""Metrics: percentiles, precision/recall/F1, citation validity, and the per-mode summary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.lab.evaluation.metrics import citation_validity, confusion, mode_metrics, percentile, rate, threshold_sweep
from app.lab.evaluation.records import RunRecord


def rec(**kw: object) -> RunRecord:
    base = {"dataset": "t", "id": "x", "kind": "answerable", "mode": "guarded", "status": "answered", "typed": True}
    return RunRecord.model_validate(base | kw)


def test_percentile_interpolates_like_numpy() -> None:
    values = list(range(1, 11))
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile(values, 0) == 1 and percentile(values, 100) == 10
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50), st.floats(0, 100), st.floats(0, 100))
def test_percentile_is_bounded_and_monotonic(values: list[float], q1: float, q2: float) -> None:
    lo, hi = sorted((q1, q2))
    assert min(values) <= percentile(values, lo) <= percentile(values, hi) + 1e-9 <= max(values) + 1e-9


def test_precision_recall_f1() -> None:
    c = confusion([(True, True)] * 8 + [(True, False)] * 2 + [(False, True)] * 2 + [(False, False)] * 8)
    assert (c.tp, c.fn, c.fp, c.tn) == (8, 2, 2, 8)
    assert c.precision == 0.8 and c.recall == 0.8 and c.f1 == pytest.approx(0.8)
    never = confusion([(True, False), (False, False)])
    assert never.precision == 0.0 and never.recall == 0.0 and never.f1 == 0.0
    assert confusion([(False, False)]).f1 is None  # no positives at all: not measurable


def test_rate_of_nothing_is_not_measured() -> None:
    assert rate(0, 0) is None and rate(1, 4) == 0.25


def test_citation_validity_counts_only_answered_records() -> None:
    records = [
        rec(answer="a", citations=("S1", "S2"), invalid_citations=1),
        rec(answer="b", citations=("S1",)),
        rec(answer=None, status="refused", citations=("S9",), invalid_citations=1),
    ]
    assert citation_validity(records) == (2, 3, 1)


def test_mode_metrics_side_by_side_fields() -> None:
    records = [
        rec(
            id="a",
            llm_calls=2,
            retries=1,
            first_valid=False,
            final_valid=True,
            keyword_match=True,
            text_match=True,
            latency_ms=100,
            rung="embedded",
        ),
        rec(
            id="b",
            llm_calls=1,
            first_valid=True,
            final_valid=True,
            keyword_match=False,
            text_match=True,
            latency_ms=300,
            rung="embedded",
        ),
        rec(id="v", kind="vague", status="clarify", clarify=True, latency_ms=1),
        rec(id="c", kind="clear", status="clarify", clarify=True, latency_ms=1),
        rec(id="u", kind="unanswerable", status="refused", declined=True, latency_ms=1),
        rec(id="i", kind="injection", status="refused", flagged=True),
        rec(id="n", kind="benign", status="passed"),
    ]
    m = mode_metrics(records)
    assert m.model_called == 2 and m.first_valid_rate == 0.5 and m.final_valid_rate == 1.0
    assert m.clarify_precision == 0.5 and m.clarify_recall == 1.0
    assert m.refusal_rate == 1.0 and m.flagged_rate == 1.0 and m.false_positive_rate == 0.0
    assert m.answer_match == 0.5 and m.text_match == 1.0
    assert m.llm_calls_mean == pytest.approx(0.6) and m.retries_mean == pytest.approx(0.2)
    assert m.rungs == {"embedded": 2, "(clarify)": 2, "(refused)": 1}
    assert m.latency_p50_ms == 1.0


def test_threshold_sweep() -> None:
    records = [rec(id="a", best_score=0.6), rec(id="b", best_score=0.3), rec(id="u", kind="unanswerable", best_score=0.2)]
    sweep = threshold_sweep(records, [0.25, 0.5])
    assert sweep == [
        {"min_score": 0.25, "unanswerable_refused": 1.0, "answerable_kept": 1.0},
        {"min_score": 0.5, "unanswerable_refused": 1.0, "answerable_kept": 0.5},
    ]


def test_report_formats_milliseconds_readably() -> None:
    from app.lab.evaluation.report import _fmt
    from app.lab.experiments.common import _cell

    assert _fmt(0.31, "ms") == "0.3 ms" and _fmt(5442.6, "ms") == "5,443 ms" and _fmt(None, "ms") == "—"
    assert _cell(10412.7) == "10,413" and _cell(0.125) == "0.125" and _cell(422.0) == "422"
