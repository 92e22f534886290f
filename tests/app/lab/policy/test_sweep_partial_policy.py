"""A sweep starts from the parameter's effective value (the policy's, else the guardrail's default), and whether
the parameter takes whole numbers comes from its declared type, not from the value a policy file happens to hold.

Found by exploratory testing: `policy sweep` with a partial policy TOML (one that leaves the swept parameter
unset) crashed with "Object of type FieldInfo is not JSON serializable" (pydantic's field object was taken as the
default value); `min_hybrid = 1` in a policy made the float threshold "a parameter that takes whole numbers"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import cases_from_traces, current_value, parse_range, parse_target, sweep
from guardrails import PolicyError
from guardrails.policy import load_policy_dict
from guardrails.relevance import RelevanceGuardrail
from tests.app.lab.policy.test_labels_sweep_cli import fails, labelled_relevance, run

PARTIAL = {"guardrails": {"relevance": {"unknown_weight": 0.3}}}  # sets another relevance parameter only


def test_a_parameter_the_policy_leaves_unset_is_swept_from_the_guardrails_default():
    partial = load_policy_dict(PARTIAL)
    default = RelevanceGuardrail().min_score
    assert current_value(partial, "relevance", "min_score") == default
    cases = cases_from_traces(labelled_relevance([0.2, 0.3, 0.4], [True, False, False]), "relevance")
    report = sweep(cases, partial, "relevance", "min_score", parse_range("0.2:0.4:0.1"), parse_target("false_block<=0%"))
    assert report.current == default and report.suggested is not None
    assert json.loads(report.model_dump_json())["current"] == default  # was pydantic's FieldInfo: not JSON


def test_a_value_the_policy_sets_is_the_current_value_even_while_disabled():
    assert current_value(load_policy_dict({"guardrails": {"relevance": {"min_score": 0.5}}}), "relevance", "min_score") == 0.5
    off = load_policy_dict({"guardrails": {"relevance": {"enabled": False, "min_score": 0.5}}})
    assert current_value(off, "relevance", "min_score") == 0.5  # a disabled guardrail's value is still its value


def _labelled(svc, ids) -> None:
    assert run(svc, "traces", "label", ids[-1], "--guardrail", "relevance", "--wrong")[0] == 0
    assert run(svc, "traces", "label", ids[0], "--guardrail", "relevance", "--correct")[0] == 0


def test_cli_sweep_from_a_partial_policy_file(stored, tmp_path: Path):
    svc, ids = stored
    _labelled(svc, ids)
    partial = tmp_path / "partial.toml"
    partial.write_text("[guardrails.relevance]\nunknown_weight = 0.3\n", encoding="utf-8")
    code, out = run(svc, "policy", "sweep", "relevance.min_hybrid", "--policy", str(partial), "--range", "0.0:1.0:0.25", "--json")
    assert code == 0
    assert json.loads(out)["current"] == RelevanceGuardrail().min_hybrid
    code, text = run(svc, "policy", "sweep", "relevance.min_hybrid", "--policy", str(partial), "--range", "0.0:1.0:0.25")
    assert code == 0 and f"current value {RelevanceGuardrail().min_hybrid}" in text


def test_whole_numbers_follow_the_parameters_declared_type(stored, tmp_path: Path):
    svc, ids = stored
    _labelled(svc, ids)
    whole_threshold = tmp_path / "one.toml"  # a float threshold written as a TOML integer
    whole_threshold.write_text("[guardrails.relevance]\nmin_hybrid = 1\n", encoding="utf-8")
    code, out = run(
        svc, "policy", "sweep", "relevance.min_hybrid", "--policy", str(whole_threshold), "--range", "0.2:0.6:0.1", "--json"
    )
    assert code == 0, out
    assert [p["value"] for p in json.loads(out)["points"]] == [0.2, 0.3, 0.4, 0.5, 0.6]
    partial = tmp_path / "partial.toml"  # max_evidence (an int) left unset
    partial.write_text("[guardrails.relevance]\nunknown_weight = 0.3\n", encoding="utf-8")
    code, text = fails(svc, "policy", "sweep", "relevance.max_evidence", "--policy", str(partial), "--range", "1:3:0.5")
    assert code == 2 and "this parameter takes whole numbers" in text
    code, text = fails(svc, "policy", "sweep", "relevance.fail_mode", "--range", "0:1:1")
    assert code == 2 and "relevance.fail_mode is not a numeric parameter" in text


def test_a_disabled_guardrail_with_an_invalid_value_never_reaches_a_sweep():
    with pytest.raises(PolicyError, match=r"min_score.*enabled = false"):  # the policy itself does not load
        load_policy_dict({"guardrails": {"relevance": {"enabled": False, "min_score": 7}}})
