"""User errors of the policy lab and its commands are one line naming the bad input and the limit, and a value the
policy cannot run with is found when the policy is read, even under a disabled guardrail. Found by exploratory
testing: pydantic's multi-line dumps for a long --note and a large --last; a typo under `enabled = false` passed
every check until someone enabled the guardrail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app import PolicyError, edited_policy, load_policy
from app.cli.main import main
from tests.app.lab.policy.test_labels_sweep_cli import fails, run


def usage_error(svc, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """stderr of a command argparse refuses: exit code 2, as every usage error, and nothing on stdout."""
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        main(list(argv), out, build=lambda settings: svc)
    assert exited.value.code == 2 and out.getvalue() == ""
    return capsys.readouterr().err


OFF_WITH_TYPOS = '[guardrails.relevance]\nenabled = false\nmin_hybird = "abc"\nmin_hybrid = 99\n'


def test_a_disabled_guardrails_values_are_checked_when_a_policy_file_is_read(stored, tmp_path: Path):
    svc, _ = stored
    off = tmp_path / "off.toml"
    off.write_text(OFF_WITH_TYPOS, encoding="utf-8")
    for command in (("policy", "replay"), ("policy", "sweep", "relevance.min_score", "--range", "0.2:0.4:0.1")):
        code, text = fails(svc, *command, "--policy", str(off))
        assert code == 2 and text.count("\n") == 1, text
        assert "min_hybird is not a parameter of relevance (did you mean min_hybrid?)" in text
        assert "min_hybrid = 99" in text and "enabled = false" in text and str(off) in text
    fine = tmp_path / "fine.toml"  # disabled, with valid values: loads
    fine.write_text("[guardrails.relevance]\nenabled = false\nmin_hybrid = 0.5\n", encoding="utf-8")
    assert run(svc, "policy", "replay", "--policy", str(fine))[0] == 0


def test_a_value_edited_into_a_disabled_guardrail_is_checked():
    base = load_policy().with_overrides({"relevance": {"enabled": False}})
    with pytest.raises(PolicyError, match=r"min_hybrid = 7.*enabled = false"):
        edited_policy(base, {"relevance": {"enabled": False, "min_hybrid": 7}})
    policy, changed = edited_policy(base, {"relevance": {"enabled": False, "min_hybrid": 0.5}})
    assert changed == {"relevance": {"min_hybrid": 0.5}} and not policy.is_enabled("relevance")


def test_a_note_over_the_limit_is_one_line_stating_it(stored):
    svc, ids = stored
    code, text = fails(svc, "traces", "label", ids[0], "--outcome", "--correct", "--note", "x" * 2500)
    assert code == 2 and text.count("\n") == 1 and "note: String should have at most 2000 characters" in text
    assert "errors.pydantic.dev" not in text and svc.traces.get(ids[0]).labels == ()


@pytest.mark.parametrize(
    "command",
    [
        ("traces", "list"),  # was cut to 100,000 without a word
        ("traces", "export", "--jsonl", "EXPORT"),
        ("policy", "replay", "--policy", "guardrails/default_policy.toml"),  # was a pydantic dump
        ("policy", "sweep", "relevance.min_score", "--range", "0.2:0.4:0.1"),
    ],
)
def test_last_beyond_what_one_listing_reads_is_a_usage_error(stored, capsys, tmp_path: Path, command: tuple[str, ...]):
    svc, _ = stored
    command = tuple(str(tmp_path / "export.jsonl") if part == "EXPORT" else part for part in command)
    text = usage_error(svc, capsys, *command, "--last", "100001")
    assert "argument --last: 100001 is more than 100,000" in text and "validation error" not in text
    assert run(svc, *command, "--last", "100000")[0] in (0, 1)  # the limit itself is accepted


def test_a_since_before_year_one_in_utc_is_a_usage_error(stored, capsys):
    svc, _ = stored
    argv = ("policy", "replay", "--policy", "guardrails/default_policy.toml", "--since", "0001-01-01T00:00+05:00")
    assert "argument --since: '0001-01-01T00:00+05:00' is out of range once converted to UTC" in usage_error(svc, capsys, *argv)
