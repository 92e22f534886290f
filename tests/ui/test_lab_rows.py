"""Pure rows behind the policy lab's tables and charts (views/lab_rows.py)."""

from __future__ import annotations

from app import Flip, ReplayReport, load_policy, policy_toml
from app.lab.policy.labels import GuardrailQuality, StoredDecision
from app.lab.policy.replay import FireRate, OutcomeChange
from app.lab.policy.sweeps import SweepPoint, SweepReport
from tests.app.traces.test_contract import rich
from views import lab_rows


def test_flips_link_to_their_trace_and_say_how_the_outcome_changes():
    record = rich(1)
    report = ReplayReport(
        replayed=1,
        flipped=[
            Flip(trace_id=record.trace_id, guardrail="relevance", stage="retrieval", attempt=1, before="passed", after="fired")
        ],
        outcome_changes=[record.trace_id],
        needs_model=[],
        outcomes=[OutcomeChange(trace_id=record.trace_id, kind="changed", before="answered", after="refused", reason="r")],
        fire_rates=[FireRate(guardrail="relevance", before=0.0, after=1.0, fired_before=0, fired_after=1)],
        not_replayable=[],
    )
    (row,) = lab_rows.flip_rows(report, {record.trace_id: record})
    assert row["trace"] == f"traces?trace={record.trace_id}" and row["outcome"] == "answered → refused"
    assert row["decision"] == "passed → fired" and row["question"] == record.question
    assert lab_rows.fire_rate_rows(report) == [
        {"guardrail": "relevance", "policy": "before", "rate": 0.0},
        {"guardrail": "relevance", "policy": "after", "rate": 1.0},
    ]


def test_sweep_rows_leave_out_rates_without_cases_and_decisions_read_plainly():
    q = GuardrailQuality(
        guardrail="g", labelled=2, tp=0, fp=1, fn=0, tn=1, precision=0.0, recall=None, false_block_rate=0.5, miss_rate=None
    )
    report = SweepReport(guardrail="g", param="p", current=0.3, cases=2, points=[SweepPoint(value=0.3, quality=q)])
    assert {r["metric"] for r in lab_rows.sweep_rows(report)} == {"precision", "false-block"}
    assert (
        lab_rows.decision_label(StoredDecision("relevance", 1, "retrieval", "fired", "refuse", ""))
        == "relevance #1 (retrieval): fired"
    )
    assert lab_rows.decision_label(StoredDecision("outcome", 1, "result", "refused", "", "")) == "outcome: refused"


def test_the_downloaded_policy_loads_back_as_the_same_policy(tmp_path):
    policy = load_policy().with_overrides({"relevance": {"min_score": 0.42}, "grounding": {"enabled": False}})
    path = tmp_path / "policy.toml"
    path.write_text(policy_toml(policy, note="two edits"), encoding="utf-8")
    assert load_policy(path) == policy
