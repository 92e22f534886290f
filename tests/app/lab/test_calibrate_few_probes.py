"""Calibration on a corpus too small to measure a lower threshold's cost: the bundled off-corpus questions share no
words with a handful of chunks, all score near or below 0, and the "lowest threshold refusing the target" rule
landed on the plateau's edge (0.000: every question scoring 0 or more answered). With fewer than FEW_ANSWERABLE
answerable probes a language keeps the stricter of the rule's value and the starting policy's, and says so."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest

from app.cli.main import main
from app.lab.calibration.run import FEW_ANSWERABLE, calibrate
from app.lab.calibration.sweep import choose
from guardrails import load_policy
from tests.app.lab.test_calibration import probes
from tests.fake_service import make_service

DEFAULT = load_policy()
START = DEFAULT.params("relevance")


@pytest.mark.parametrize("answerable", [1, FEW_ANSWERABLE - 1])
def test_few_answerable_probes_never_lower_the_threshold_below_the_starting_one(answerable: int) -> None:
    choice = choose("en", probes([0.9] * answerable, [-0.3, -0.2, -0.1]), DEFAULT, target=0.95)
    assert choice.rule_threshold == 0.0  # what the rule alone picks: the plateau's edge
    assert choice.threshold == START["min_hybrid"] and choice.off_corpus_refused == 1.0
    assert choice.answerable_refused == 0.0  # the kept value measured on the few probes there are


def test_few_answerable_probes_still_let_the_probes_raise_a_threshold() -> None:
    choice = choose("en", probes([0.9] * 3, [0.5, 0.6]), DEFAULT, target=0.95)
    assert choice.threshold == 0.601 > START["min_hybrid"] and choice.rule_threshold is None


def test_calibrate_on_a_tiny_corpus_keeps_the_starting_thresholds_and_says_why(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)  # the sample docs: a handful of chunks
    out = tmp_path / "policy.toml"
    result = calibrate(svc, out=out, probes=10, target=0.95)
    written = tomllib.loads(out.read_text(encoding="utf-8"))["guardrails"]["relevance"]
    for c in result.choices:
        assert 0 < c.answerable < FEW_ANSWERABLE, result.choices
        param = "min_hybrid" if c.lang == "en" else "min_hybrid_zh"
        assert c.threshold >= START[param] > 0 and written[param] == c.threshold == result.thresholds[param]
        note = next(n for n in result.notes if n.startswith(f"only {c.answerable} {c.lang} answerable probe(s)"))
        if c.rule_threshold is not None:  # the numbers: what was kept and what the rule alone would pick
            assert f"{param} {c.threshold} is kept (the rule alone would pick {c.rule_threshold})" in note


def test_cli_calibrate_json_on_a_tiny_corpus_reports_the_kept_thresholds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    svc, _ = make_service(tmp_path)
    out = io.StringIO()
    code = main(
        ["calibrate", "--out", str(tmp_path / "c.toml"), "--probes", "10", "--no-progress", "--json"],
        out,
        build=lambda s: svc,
    )
    assert code == 0, capsys.readouterr().err
    data = json.loads(out.getvalue())
    assert data["thresholds"]["min_hybrid"] >= START["min_hybrid"]
    assert data["thresholds"]["min_hybrid_zh"] >= START["min_hybrid_zh"]
    assert any("answerable probe(s)" in n for n in data["notes"])


def test_cli_calibrate_says_which_thresholds_were_kept_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svc, _ = make_service(tmp_path)
    out = io.StringIO()
    assert (
        main(["calibrate", "--out", str(tmp_path / "c.toml"), "--probes", "10", "--no-progress"], out, build=lambda s: svc) == 0
    )
    chosen = [line for line in out.getvalue().splitlines() if line.startswith("chosen ")]
    assert len(chosen) == 2 and all("kept: too few answerable probes (the rule alone: " in line for line in chosen), chosen
    assert f"chosen en: {START['min_hybrid']:.3f}" in out.getvalue()
