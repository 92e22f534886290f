"""Labels, labelled quality, sweeps and the `policy` / `traces label` commands, on traces the fake service stored."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from app import TraceFilter, cases_from_traces, false_blocks, load_policy, make_label, parse_range, parse_target, quality, sweep
from app.cli.main import main
from app.lab.evaluation.records import EvalItem
from app.lab.evaluation.runner import run_eval
from guardrails import Chunk
from tests.app.lab.policy.conftest import ASKED, MODEL, chain_record, reply
from tests.fake_service import make_service

DEFAULT = load_policy()


def run(svc, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out, build=lambda settings: svc)
    return code, out.getvalue()


def fails(svc, *argv: str) -> tuple[int, str]:
    """(exit code, stderr) of a command that must fail: its error goes to stderr, and stdout stays empty."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out, build=lambda settings: svc)
    assert out.getvalue() == "", out.getvalue()
    return code, err.getvalue()


def test_a_label_names_a_decision_the_trace_has(stored):
    svc, ids = stored
    refused = svc.traces.get(ids[-1])  # "How do I bake sourdough bread at home?": relevance refused it
    lb = make_label(refused, "relevance", correct=False, note="we do have a baking guide")
    assert (lb.target, lb.attempt, lb.decision, lb.correct) == ("relevance", 1, "fired", False)
    with pytest.raises(ValueError, match="no decision 'grounding' #1"):
        make_label(refused, "grounding", correct=True)
    grounded = svc.traces.get(ids[2])  # grounding fired on the first answer, passed on the re-ask
    assert make_label(grounded, "grounding", correct=True, attempt=2).decision == "passed"


def test_quality_and_the_false_block_list_come_from_labels(stored):
    svc, ids = stored
    wrongly_refused, rightly_refused, answered = (svc.traces.get(i) for i in (ids[-1], ids[-2], ids[0]))
    svc.traces.label(wrongly_refused.trace_id, make_label(wrongly_refused, "outcome", correct=False, note="benign"))
    svc.traces.label(answered.trace_id, make_label(answered, "relevance", correct=True))
    svc.traces.label(rightly_refused.trace_id, make_label(rightly_refused, "prompt_injection", correct=True))
    labelled = svc.traces.list(TraceFilter(labelled=True), full=True)
    scores = {q.guardrail: q for q in quality(labelled)}
    # the wrong outcome says relevance should not have fired there: one false positive, one true negative
    assert (scores["relevance"].fp, scores["relevance"].tn, scores["relevance"].false_block_rate) == (1, 1, 0.5)
    assert (scores["prompt_injection"].tp, scores["prompt_injection"].precision) == (1, 1.0)
    blocked = false_blocks(labelled)
    assert [(b.trace_id, b.guardrail, b.note) for b in blocked] == [(wrongly_refused.trace_id, "relevance", "benign")]


def labelled_relevance(scores: list[float], should_fire: list[bool]) -> list:
    """Requests whose only passage scores `scores` and shares no term with the question, labelled by `should_fire`."""
    records = []
    for i, (score, fire) in enumerate(zip(scores, should_fire, strict=True)):
        r = chain_record(
            DEFAULT,
            "How large is the context window of the model?",
            [Chunk(chunk_id="b", source="fruit.md", text="Bananas are yellow.", score=score)],
            [reply("Bananas are yellow.", "S1")],
            trace_id=f"r{i}",
        )
        fired = r.status == "refused"
        records.append(r.model_copy(update={"labels": (make_label(r, "relevance", correct=fired == fire),)}))
    return records


def test_a_sweep_draws_the_trade_off_and_suggests_a_value_that_meets_the_target():
    # below 0.3 the passages are off topic (should be refused), from 0.3 on they are the answer
    records = labelled_relevance([0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5], [True, True, True, False, False, False, False])
    cases = cases_from_traces(records, "relevance")
    assert len(cases) == 7
    report = sweep(cases, DEFAULT, "relevance", "min_score", parse_range("0.2:0.45:0.05"), parse_target("false_block<=0%"))
    by_value = {p.value: p.quality for p in report.points}
    assert report.current == 0.35 and sorted(by_value) == [0.2, 0.25, 0.3, 0.35, 0.4, 0.45]
    assert by_value[0.35].false_block_rate == 0.25 and by_value[0.35].recall == 1.0  # today: 0.3 is refused wrongly
    assert by_value[0.2].recall == pytest.approx(1 / 3, abs=1e-4) and by_value[0.2].false_block_rate == 0.0
    assert report.suggested == 0.3 and "recall" in report.reason  # no false block and every off-topic one refused
    none = sweep(cases, DEFAULT, "relevance", "min_score", [0.45], parse_target("false_block<=0.01"))
    assert none.suggested is None and "no value" in none.reason


def test_cli_replay_json_label_sweep_and_tuned_policy(stored, tmp_path: Path):
    svc, ids = stored
    strict = tmp_path / "strict.toml"
    strict.write_text("[guardrails.relevance]\nmin_hybrid = 1.95\nmin_hybrid_zh = 1.95\n", encoding="utf-8")
    code, out = run(svc, "policy", "replay", "--policy", str(strict), "--json")
    report = json.loads(out)
    assert code == 0 and report["replayed"] == len(ASKED)
    assert {"replayed", "flipped", "outcome_changes", "needs_model"} <= report.keys()
    assert report["flipped"] and all(f["guardrail"] == "relevance" for f in report["flipped"])
    assert set(report["outcome_changes"]) == {f["trace_id"] for f in report["flipped"] if f["after"] == "fired"}
    code, text = run(svc, "policy", "replay", "--policy", str(strict), "--status", "refused")
    assert code == 0 and "replayed 2 trace(s)" in text  # the two refused ones
    code, text = run(svc, "traces", "label", ids[-1], "--guardrail", "relevance", "--wrong", "--note", "benign")
    assert code == 0 and "as wrong" in text
    code, text = run(svc, "traces", "label", ids[0], "--guardrail", "relevance", "--correct")
    assert code == 0
    assert run(svc, "traces", "label", ids[0], "--guardrail", "relevance")[0] == 2  # neither --correct nor --wrong
    tuned = tmp_path / "tuned.toml"
    code, out = run(
        svc,
        "policy",
        "sweep",
        "relevance.min_hybrid",
        "--range",
        "0.0:1.0:0.25",
        "--target",
        "false_block<=0.5",  # the sourdough question (relevance below 0) is refused at any value
        "--out",
        str(tuned),
        "--json",
    )
    swept = json.loads(out)
    assert code == 0 and swept["cases"] == 2 and swept["suggested"] is not None and swept["written"] == str(tuned)
    assert load_policy(tuned).params("relevance")["min_hybrid"] == swept["suggested"]  # loadable by GUARDED_RAG_POLICY
    code, text = run(svc, "policy", "quality")
    assert code == 0 and "false blocks" in text and "How do I bake sourdough" in text


def test_cli_errors_are_one_line(stored, tmp_path: Path):
    svc, _ = stored
    assert fails(svc, "policy", "replay", "--policy", str(tmp_path / "missing.toml"))[1].startswith(
        "error: guardrail policy file not found"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("[guardrails.relevance]\nmin_hybrid = 7\n", encoding="utf-8")
    code, text = fails(svc, "policy", "replay", "--policy", str(bad))
    assert code == 2 and "relevance" in text and text.count("\n") == 1
    code, text = fails(svc, "policy", "sweep", "relevance.nope", "--range", "0:1:0.5")
    assert code in (1, 2) and text.startswith("error:")


def test_eval_runs_label_their_traces_from_the_gold_data(tmp_path: Path):
    svc, _ = make_service(tmp_path, scripts={MODEL: ['{"answer": "Ollama listens on port 11434.", "citations": ["S1"]}']})
    items = [
        EvalItem(dataset="t", id="a1", question="What port does Ollama listen on by default?", kind="answerable"),
        EvalItem(dataset="t", id="v1", question="Is this plan reasonable?", kind="vague"),
        EvalItem(dataset="t", id="u1", question="How do I bake sourdough bread?", kind="unanswerable"),
    ]
    run_eval(svc, items, out=tmp_path / "eval", modes=("guarded",), progress=False)
    labelled = svc.traces.list(TraceFilter(labelled=True), full=True)
    assert len(labelled) == 3 and all(lb.source == "eval" for r in labelled for lb in r.labels)
    by_question = {r.question: {lb.target: lb.correct for lb in r.labels} for r in labelled}
    assert by_question["Is this plan reasonable?"] == {"completeness": True, "outcome": True}
    assert by_question["How do I bake sourdough bread?"]["relevance"] is True
    assert by_question["What port does Ollama listen on by default?"]["outcome"] is True


@pytest.mark.parametrize(
    ("param", "values", "target", "says"),
    [
        ("relevance.min_hybrd", "0.2:0.6:0.1", None, "relevance has no parameter 'min_hybrd'; it has: min_hybrid"),
        ("relevanse.min_hybrid", "0.2:0.6:0.1", None, "unknown guardrail 'relevanse'"),
        ("relevance.min_hybrid", "0.6:0.2:0.1", None, "STEP must be > 0 and STOP >= START"),
        ("relevance.min_hybrid", "nan:1:0.1", None, "must be finite numbers"),
        (
            "relevance.min_hybrid",
            "0.2:0.6:0.1",
            "recall>=90",
            "recall is a rate; write its bound as a fraction (0.9) or a percentage",
        ),
        ("relevance.min_hybrid", "0.2:0.6:0.1", "false_block<=300%", "false_block is a rate"),
        ("relevance.max_evidence", "1:3:0.5", None, "this parameter takes whole numbers"),  # was truncated: 1, 1, 2, 2, 3
    ],
)
def test_a_mistyped_sweep_is_reported_before_any_label_exists(stored, param, values, target, says):
    """Before: with no labels yet, every typo was answered "no labelled relevance decision ... label some
    first", so the user labelled traces only to learn the parameter name or range was wrong."""
    svc, _ = stored
    code, text = fails(svc, "policy", "sweep", param, "--range", values, *(("--target", target) if target else ()))
    assert code == 2 and says in text and "no labelled" not in text


def test_a_sweeps_out_is_checked_before_the_sweep_and_needs_a_target(stored, tmp_path: Path):
    """Found by a walkthrough: --out naming a folder (or under a file) failed only after the sweep, with
    'error: IsADirectoryError' and no table; --out without --target wrote nothing and said nothing (exit 0)."""
    svc, _ = stored
    sweep_ = ("policy", "sweep", "relevance.min_hybrid", "--range", "0:1:0.5")
    code, text = fails(svc, *sweep_, "--target", "recall>=0.9", "--out", str(tmp_path))
    assert code == 2 and "cannot write the policy to" in text and "it is a folder; name a file" in text
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    code, text = fails(svc, *sweep_, "--target", "recall>=0.9", "--out", str(blocker / "tuned.toml"))
    assert code == 2 and "is a file, not a folder" in text
    code, text = fails(svc, *sweep_, "--out", str(tmp_path / "tuned.toml"))
    assert code == 2 and "add --target" in text and not (tmp_path / "tuned.toml").exists()


def test_a_sweep_whose_selection_leaves_out_every_label_says_so(stored):
    """`--since` in the future said "label some first" although labels existed (the h69 walkthrough)."""
    svc, ids = stored
    sweep_ = ("policy", "sweep", "relevance.min_hybrid", "--range", "0:1:0.5")
    code, text = fails(svc, *sweep_)
    assert code == 1 and "label some first" in text  # nothing labelled yet
    assert run(svc, "traces", "label", ids[0], "--guardrail", "relevance", "--correct")[0] == 0
    code, text = fails(svc, *sweep_, "--since", "2999-01-01")
    assert code == 1 and "outside --status/--since/--last" in text and "label some first" not in text


def test_a_sweeps_out_never_replaces_a_file_that_is_not_a_policy(stored, tmp_path: Path):
    """Found by a walkthrough: `policy sweep ... --out ~/.guarded-rag/traces.sqlite3` wrote the policy over the trace
    database (every later command: "file is not a database")."""
    svc, _ = stored
    sweep_ = ("policy", "sweep", "relevance.min_hybrid", "--range", "0:1:0.5", "--target", "recall>=0.9")
    database = tmp_path / "traces.sqlite3"
    database.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    code, text = fails(svc, *sweep_, "--out", str(database))
    assert code == 2 and "is not a guardrail policy" in text
    assert database.read_bytes().startswith(b"SQLite format 3")
    notes = tmp_path / "notes.toml"
    notes.write_text('title = "my notes"\n', encoding="utf-8")  # TOML, but no [guardrails] table
    assert fails(svc, *sweep_, "--out", str(notes))[0] == 2 and notes.read_text(encoding="utf-8") == 'title = "my notes"\n'


def test_an_outcome_labelled_right_counts_for_the_decisions_that_made_it(stored):
    # Only a wrong outcome counted: a refusal or an answer people confirmed added nothing to any guardrail's quality.
    svc, ids = stored
    rightly_refused, answered = svc.traces.get(ids[-2]), svc.traces.get(ids[0])
    svc.traces.label(rightly_refused.trace_id, make_label(rightly_refused, "outcome", correct=True))
    svc.traces.label(answered.trace_id, make_label(answered, "outcome", correct=True))
    scores = {q.guardrail: q for q in quality(svc.traces.list(TraceFilter(labelled=True), full=True))}
    assert (scores["prompt_injection"].tp, scores["prompt_injection"].tn) == (1, 1)  # refused it; passed the answered one
    assert (scores["relevance"].tn, scores["relevance"].fp, scores["relevance"].fn) == (1, 0, 0)
    assert "grounding" not in scores or scores["grounding"].labelled == 0  # an output check's pass says nothing
    assert false_blocks(svc.traces.list(TraceFilter(labelled=True), full=True)) == []
