"""Edges of the policy lab found by a hunt: turning on a guardrail at a stage where none ran, ranges too fine to
count, targets no value can meet."""

from __future__ import annotations

import json

from app import cases_from_traces, make_label, parse_range, parse_target, replay_traces, sweep
from app.lab.policy.decisions import Rechecker
from guardrails import Chunk, load_policy
from tests.app.lab.policy.conftest import GOOD, MODEL, UNCITED, chain_record
from tests.app.lab.policy.test_labels_sweep_cli import fails, labelled_relevance, run
from tests.fake_service import make_service

DEFAULT = load_policy()
Q = "Which port does Ollama listen on by default?"
PORT = Chunk(
    chunk_id="c1", source="ollama.md", text="Ollama listens on port 11434 by default. Set OLLAMA_HOST to change it.", score=0.8
)
INPUT = ("input_size", "prompt_injection", "completeness")
OUTPUT = ("degenerate_output", "citations", "grounding", "answer_relevance", "answer_injection")


def off(*names: str):
    return DEFAULT.with_overrides({n: {"enabled": False} for n in names})


def decisions(record, policy) -> dict[str, str]:
    checks = Rechecker(policy).recheck_all(record.inputs.captures, record.inputs.policy)
    return {name: c.decision(name, "after") for c in checks for name in c.names()}


def test_a_guardrail_that_reads_no_signal_is_decided_at_a_stage_where_none_ran():
    """Before: every check turned on at a stage where the trace ran none was 'unknown' and the trace 'needs the
    model', although input_size or citations decide on the stored question or answer alone."""
    policy = off(*INPUT)
    record = chain_record(policy, Q, [PORT], [GOOD])
    assert record.status == "answered" and not record.inputs.captures[0].measured
    size_on = policy.with_overrides({"input_size": {"enabled": True}})
    assert decisions(record, size_on)["input_size"] == "passed"
    report = replay_traces([record], size_on)
    assert not report.needs_model and not report.outcome_changes and not report.incomplete
    tiny = policy.with_overrides({"input_size": {"enabled": True, "max_chars": 10}})
    report = replay_traces([record], tiny)
    assert report.outcome_changes == ["t0"] and report.outcomes[0].after == "refused"
    # a check that reads a model-computed signal there still needs what was never computed, and says so
    injection_on = policy.with_overrides({"prompt_injection": {"enabled": True}})
    assert decisions(record, injection_on)["prompt_injection"] == "unknown"
    report = replay_traces([record], injection_on)
    assert report.needs_model == ["t0"] and report.outcomes[0].reason.startswith("an input check would need a signal")


def test_an_output_check_turned_on_where_none_ran_decides_the_stored_answer():
    policy = off(*OUTPUT)
    record = chain_record(policy, Q, [PORT], [UNCITED])
    assert record.status == "answered" and not record.inputs.captures[-1].measured
    citations_on = policy.with_overrides({"citations": {"enabled": True}})
    assert decisions(record, citations_on)["citations"] == "fired"
    report = replay_traces([record], citations_on)
    assert report.needs_model == ["t0"] and "citations rejects the answer" in report.outcomes[0].reason


def test_a_range_too_fine_to_count_is_a_usage_error(stored):
    """Before: 'error: OverflowError: cannot convert float infinity to integer', exit 1."""
    svc, _ = stored
    for values in ("0:1e300:1e-300", "0:1:1e-320"):
        code, text = fails(svc, "policy", "sweep", "relevance.min_hybrid", "--range", values)
        assert code == 2 and "too many values" in text and "OverflowError" not in text
    assert len(parse_range("0:0.999:0.001")) == 1000 and parse_range("0.3:0.3:0.1") == [0.3]


def test_a_target_no_value_can_meet_says_which_labels_are_missing():
    """Before: 'no value in the range meets false_block<=0.03', as if a wider range could help."""
    records = labelled_relevance([0.1, 0.2], [True, True])  # only decisions that should fire
    cases = cases_from_traces(records, "relevance")
    report = sweep(cases, DEFAULT, "relevance", "min_score", parse_range("0:1:0.25"), parse_target("false_block<=0.03"))
    assert report.suggested is None
    assert "no labelled decision says the guardrail should pass" in report.reason
    met = sweep(cases, DEFAULT, "relevance", "min_score", parse_range("0:1:0.25"), parse_target("recall>=0.5"))
    assert met.suggested is not None  # the labels there are do measure recall
    missed = sweep(cases, DEFAULT, "relevance", "min_score", [0.0], parse_target("recall>=0.5"))
    assert missed.suggested is None and missed.reason == "no value in the range meets recall>=0.5"


def test_a_label_for_a_run_that_did_not_happen_says_how_many_there_were():
    record = chain_record(DEFAULT, Q, [PORT], [GOOD])
    try:
        make_label(record, "relevance", correct=True, attempt=3)
    except ValueError as exc:
        said = str(exc)
    assert said.endswith("has no decision 'relevance' #3: relevance decided 1 time(s) in it, so label #1")
    assert make_label(record, "relevance", correct=True, attempt=1).decision == "passed"


def test_a_suggestion_never_claims_the_best_of_a_rate_no_value_has():
    """Before: 'meets false_block<=0.5 with the best recall' where every recall was undefined (no labelled
    decision the guardrail should block)."""
    cases = cases_from_traces(labelled_relevance([0.6, 0.7], [False, False]), "relevance")
    report = sweep(cases, DEFAULT, "relevance", "min_score", parse_range("0:1:0.5"), parse_target("false_block<=0.5"))
    assert all(p.quality.recall is None for p in report.points)
    assert report.suggested == 0.5 and "recall cannot be measured on these labels" in report.reason
    assert "best recall" not in report.reason


def test_replay_text_counts_the_traces_whose_outcome_is_unknown_and_quality_json_counts_labelled_traces(tmp_path):
    """Before: a trace whose later stages' inputs were cut by the size cap was in --json's `incomplete` only: the
    text said nothing of it, as if its outcome would not change. `policy quality --json` lacked the count the
    text starts with."""
    svc, _ = make_service(tmp_path, scripts={MODEL: [GOOD]}, trace_inputs_kb=6)
    trace_id = svc.ask(Q).trace_id
    svc.traces.flush()
    record = svc.traces.get(trace_id)
    assert record.inputs is not None and record.inputs.omitted and record.inputs.captures
    strict = tmp_path / "strict.toml"
    strict.write_text("[guardrails.citations]\nrequire_citation = false\n", encoding="utf-8")
    code, text = run(svc, "policy", "replay", "--policy", str(strict))
    assert code == 0 and f"outcome unknown (the inputs of later stages were not kept): 1  ({trace_id[:12]})" in text
    code, out = run(svc, "policy", "quality", "--json")
    assert code == 0 and json.loads(out) == {"labelled_traces": 0, "quality": [], "false_blocks": []}
    assert run(svc, "traces", "label", trace_id, "--outcome", "--correct", "--note", "答对了")[0] == 0
    code, out = run(svc, "policy", "quality", "--json")
    assert json.loads(out)["labelled_traces"] == 1


def test_a_whole_number_parameter_is_swept_and_written_as_a_whole_number(stored, tmp_path):
    """Before: `policy sweep relevance.max_evidence --out` wrote `max_evidence = 3.0` and --json said 3.0."""
    svc, ids = stored
    assert run(svc, "traces", "label", ids[0], "--guardrail", "relevance", "--correct")[0] == 0
    tuned = tmp_path / "tuned.toml"
    sweep_ = ("policy", "sweep", "relevance.max_evidence", "--range", "1:3:1", "--target", "false_block<=0")
    code, out = run(svc, *sweep_, "--out", str(tuned), "--json")
    swept = json.loads(out)
    assert code == 0 and [p["value"] for p in swept["points"]] == [1, 2, 3]
    assert all(isinstance(p["value"], int) for p in swept["points"]) and isinstance(swept["suggested"], int)
    assert f"max_evidence = {swept['suggested']}\n" in tuned.read_text(encoding="utf-8")
    assert isinstance(load_policy(tuned).params("relevance")["max_evidence"], int)
