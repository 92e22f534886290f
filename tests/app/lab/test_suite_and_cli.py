"""The `eval` run end to end on fakes (report files, plots, benign companions, skipped sets, CMRC in its own
collection) and the `eval`/`lab` CLI commands."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

from app.cli.lab import add_lab_commands, run_lab_command
from app.lab.evaluation.cmrc import cmrc_collection
from app.lab.evaluation.report import EvalReport
from app.lab.evaluation.suite import evaluate
from tests.app.lab.conftest import GOOD, write_jsonl

PNG = b"\x89PNG"


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_lab_commands(p.add_subparsers(dest="command", required=True))
    return p.parse_args(list(argv))


def test_evaluate_writes_json_markdown_and_plots(service, tmp_path: Path, eval_dir: Path) -> None:
    # golden g1 "Port?" has no content words the fake index knows: refused, no model call; the benign vague and
    # injection companions (v2, i2) reach the model and get an answer each (grounding may re-ask: spares)
    svc, _ = service(*[GOOD] * 8)
    out = tmp_path / "out"
    outcome = evaluate(
        svc,
        ["vague", "unanswerable", "injection"],
        out=out,
        eval_dir=eval_dir,
        shared=tmp_path / "none",
        modes=("guarded",),
        progress=False,
    )
    assert {p.name for p in outcome.files} == {"report.json", "report.md", "rates.png", "latency.png", "rungs.png"}
    assert all(p.read_bytes().startswith(PNG) for p in outcome.files if p.suffix == ".png")
    report = EvalReport.model_validate_json((out / "report.json").read_text())
    assert report.groups["vague"]["guarded"].clarify_counts is not None
    assert report.groups["injection"]["guarded"].flagged_rate == 1.0
    assert report.groups["benign:golden"]["guarded"].false_positive_rate == 0.0  # companions were added
    md = (out / "report.md").read_text()
    assert "| clarify F1 |" in md and "attacks flagged" in md
    records = (out / "records.jsonl").read_text()
    assert "Ignore all previous" not in md and "Ignore all previous" not in records
    assert '"status": "error"' not in records.replace('"status":"error"', '"status": "error"')


def test_absent_shared_sets_are_reported_as_skipped(service, tmp_path: Path, capsys) -> None:
    svc, _ = service()
    outcome = evaluate(svc, ["clamber"], out=tmp_path / "out", shared=tmp_path / "none", progress=False)
    assert outcome.records == () and outcome.report.skipped and "clamber" in outcome.report.skipped[0]
    # on the command line a run that evaluated nothing is a failure that says why (it was exit 0)
    argv = ("eval", "clamber", "--shared", str(tmp_path / "none"), "--no-progress", "--out", str(tmp_path / "o"))
    assert run_lab_command(svc, parse(*argv), io.StringIO()) == 1
    assert f"nothing was evaluated: skipped clamber (not found under {tmp_path / 'none'})" in capsys.readouterr().err


def test_cmrc_runs_in_its_own_collection(service, tmp_path: Path, shared_dir: Path) -> None:
    svc, _ = service('{"answer": "光荣和ω-force", "citations": ["S1"]}')
    outcome = evaluate(svc, ["cmrc2018-trial"], out=tmp_path / "out", shared=shared_dir, modes=("guarded",), progress=False)
    [record] = outcome.records
    assert record.dataset == "cmrc2018-trial" and record.retrieval_hit is True and record.keyword_match is True
    assert not any("TRIAL_1" in d.source for d in svc.documents())  # the user's collection is untouched
    cmrc = svc.derive(collection=cmrc_collection("trial"), docs_dir=svc.settings.home / "eval-cache" / "cmrc2018-trial")
    assert [d.source for d in cmrc.documents()] == ["TRIAL_1.txt"]


def test_cli_eval_json_and_usage_errors(service, tmp_path: Path, eval_dir: Path) -> None:
    svc, _ = service(GOOD)
    path = write_jsonl(
        tmp_path / "mine.jsonl",
        [
            {
                "id": "a1",
                "question": "What port does Ollama listen on by default?",
                "type": "answerable",
                "answer_keywords": ["11434"],
            }
        ],
    )
    out = io.StringIO()
    code = run_lab_command(
        svc, parse("eval", str(path), "--modes", "guarded", "--json", "--no-progress", "--out", str(tmp_path / "o")), out
    )
    assert code == 0
    report = json.loads(out.getvalue())
    assert report["groups"]["mine"]["guarded"]["answer_match"] == 1.0
    no_question = write_jsonl(tmp_path / "other.jsonl", [{"id": "x", "q": "hi", "type": "answerable"}])
    binary = tmp_path / "photo.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x8c\xff")
    for argv, message in (
        (("eval", "nope"), "unknown dataset"),
        (("eval", str(tmp_path / "missing.jsonl")), "no such file"),
        (("eval", str(no_question)), 'other.jsonl:1: each line is a JSON object with a "question" string'),
        (("eval", str(binary)), "photo.jsonl: not UTF-8 text"),
        (("eval", "vague", "--modes", "fast"), "--modes"),
        (("eval", "vague", "--limit", "0"), "--limit"),
    ):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err):
            assert run_lab_command(svc, parse(*argv, "--no-progress", "--out", str(tmp_path / "x")), out) == 2
        assert message in err.getvalue() and out.getvalue() == ""  # errors on stderr, stdout left clean


def test_cli_lab_writes_report_files(service, tmp_path: Path) -> None:
    svc, _ = service(*['{"name": "Ann", "age": 30}'] * 4)
    out = io.StringIO()
    code = run_lab_command(svc, parse("lab", "nondeterminism", "--n", "2", "--out", str(tmp_path / "lab")), out)
    assert code == 0 and "Non-determinism" in out.getvalue()
    assert {p.name for p in (tmp_path / "lab").iterdir()} == {"report.json", "report.md", "nondeterminism.png"}


def test_cli_eval_input_only_scores_clarify_without_the_model(service, tmp_path: Path, shared_dir: Path) -> None:
    svc, _ = service()  # no scripted replies: a model call would fail loudly
    out = io.StringIO()
    argv = (
        "eval",
        "clamber",
        "--shared",
        str(shared_dir),
        "--input-only",  # no --modes: the raw column would call the model, which the flag promises not to
        "--json",
        "--no-progress",
        "--out",
        str(tmp_path / "o"),
    )
    assert run_lab_command(svc, parse(*argv), out) == 0
    m = json.loads(out.getvalue())["groups"]["clamber"]["guarded"]
    c = m["clarify_counts"]  # whatever the completeness guardrail decides, both items were scored, no call made
    assert m["model_called"] == 0 and (c["tp"] + c["fn"], c["fp"] + c["tn"]) == (1, 1)
