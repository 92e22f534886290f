"""Eval edge cases: an empty set says it is empty, a row holding half a surrogate pair is refused by line (it
crashed the run when its record was written), and a CMRC run's report names the collection it ran on."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

import pytest

from app.cli.codes import EXIT_INTERRUPTED
from app.cli.lab import add_lab_commands, run_lab_command
from app.lab.evaluation.dataset_file import DatasetError, load_jsonl
from app.lab.evaluation.report import to_markdown
from app.lab.evaluation.suite import evaluate
from tests.app.lab.conftest import write_jsonl


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_lab_commands(p.add_subparsers(dest="command", required=True))
    return p.parse_args(list(argv))


def run(svc, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run_lab_command(svc, parse(*argv), out)
    return code, out.getvalue(), err.getvalue()


def test_an_empty_set_says_it_has_no_questions(service, tmp_path: Path) -> None:
    svc, _ = service()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    code, out, err = run(svc, "eval", str(empty), "--no-progress", "--out", str(tmp_path / "o"))
    assert code == 1 and "nothing was evaluated: skipped " in err and "empty.jsonl (no questions)" in err
    assert "Skipped: " in out and "(no questions)" in (tmp_path / "o" / "report.md").read_text(encoding="utf-8")


def test_a_split_that_leaves_no_questions_says_which(service, tmp_path: Path) -> None:
    svc, _ = service()
    one = write_jsonl(tmp_path / "one.jsonl", [{"id": "x", "question": "Fix this.", "vague": True}])
    for split in ("tune", "report"):
        outcome = evaluate(svc, [str(one)], out=tmp_path / split, split=split, input_only=True, progress=False)
        if not outcome.records:  # the one row falls in one of the two halves
            assert outcome.report.skipped == (f"{one} (no questions in the {split} split)",)
            return
    pytest.fail("the row fell in neither split")


def test_a_lone_surrogate_is_refused_by_line_not_a_crash_mid_run(service, tmp_path: Path) -> None:
    path = tmp_path / "sur.jsonl"
    path.write_text(
        '{"id": "ok", "question": "Fix this.", "vague": true}\n{"id": "\\ud800x", "question": "Fix that.", "vague": true}\n',
        encoding="utf-8",
    )
    with pytest.raises(DatasetError, match=r"sur.jsonl:2: \\ud800 is half of a UTF-16 surrogate pair"):
        load_jsonl(path)
    svc, _ = service()
    code, out, err = run(svc, "eval", str(path), "--input-only", "--no-progress", "--out", str(tmp_path / "o"))
    assert code == 2 and "sur.jsonl:2: \\ud800 is half" in err and "Traceback" not in err and out == ""
    # a full pair written as escapes is one character, and fine
    pair = write_jsonl(tmp_path / "pair.jsonl", [{"id": "\U0001f600", "question": "Fix this.", "vague": True}])
    pair.write_text(pair.read_text(encoding="utf-8").replace("\U0001f600", "\\ud83d\\ude00"), encoding="utf-8")
    [item] = load_jsonl(pair)
    assert item.id == "\U0001f600"


def test_a_cmrc_report_names_the_collection_it_ran_on(service, tmp_path: Path, shared_dir: Path, eval_dir: Path) -> None:
    svc, _ = service(*['{"answer": "光荣和ω-force", "citations": ["S1"]}'] * 2)  # one per --out folder
    outcome = evaluate(svc, ["cmrc2018-trial"], out=tmp_path / "out", shared=shared_dir, modes=("guarded",), progress=False)
    assert outcome.report.meta.collection == "cmrc2018-trial"  # was the user's own ("docs")
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["meta"]["collection"] == "cmrc2018-trial"
    assert "collection cmrc2018-trial" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    both = evaluate(
        svc,
        ["vague", "cmrc2018-trial"],
        out=tmp_path / "both",
        shared=shared_dir,
        eval_dir=eval_dir,
        modes=("guarded",),
        input_only=True,
        progress=False,
    )
    assert "collections docs (vague), cmrc2018-trial (cmrc2018-trial)" in to_markdown(both.report)


def test_an_interrupted_fresh_run_says_to_resume_without_fresh(service, tmp_path: Path) -> None:
    """The interrupt message said "run the same command again to resume": with --fresh in it, that discarded the
    records it had just said were kept."""
    from tests.app.lab.conftest import GOOD

    svc, _ = service(GOOD, KeyboardInterrupt(), GOOD)  # the second question is interrupted, then answered on resume
    q = "What port does Ollama listen on by default?"
    rows = [{"id": f"a{i}", "question": q, "type": "answerable", "answer_keywords": ["11434"]} for i in (1, 2)]
    data = write_jsonl(tmp_path / "mine.jsonl", rows)
    argv = ("eval", str(data), "--modes", "guarded", "--no-progress", "--out", str(tmp_path / "o"))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert run_lab_command(svc, parse(*argv, "--fresh"), io.StringIO()) == EXIT_INTERRUPTED
    assert "run the same command without --fresh again to resume" in err.getvalue()
    code, _, _ = run(svc, *argv)  # resumed: only the interrupted question is asked (one reply left)
    assert code == 0 and len((tmp_path / "o" / "records.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_a_fresh_run_that_evaluates_nothing_leaves_no_charts_of_the_run_before(service, tmp_path: Path) -> None:
    svc, _ = service()
    data = write_jsonl(tmp_path / "mine.jsonl", [{"id": "x", "question": "Fix this.", "vague": True}])
    out = tmp_path / "o"
    first = evaluate(svc, [str(data)], out=out, modes=("guarded",), input_only=True, progress=False)
    assert {p.name for p in first.files} >= {"rates.png", "latency.png", "rungs.png"}
    data.write_text("\n", encoding="utf-8")  # the set emptied: the fresh run evaluates nothing
    again = evaluate(svc, [str(data)], out=out, modes=("guarded",), input_only=True, fresh=True, progress=False)
    assert again.records == () and sorted(p.name for p in out.iterdir()) == ["meta.json", "report.json", "report.md"]


def test_a_fresh_run_of_an_injection_set_empty_on_its_split_keeps_its_benign_records(service, tmp_path: Path) -> None:
    d = tmp_path / "eval"
    write_jsonl(d / "golden.jsonl", [{"id": "g1", "question": "Port g1?", "lang": "en", "type": "answerable"}])
    write_jsonl(d / "vague.jsonl", [])
    write_jsonl(d / "injection.jsonl", [])
    svc, _ = service()
    for _ in range(2):  # the second run with --fresh over the first's folder
        outcome = evaluate(svc, ["injection"], out=tmp_path / "o", eval_dir=d, fresh=True, modes=("guarded",), progress=False)
        assert [r.id for r in outcome.records] == ["g1"] and outcome.report.skipped == ("injection (no questions)",)
        assert len((tmp_path / "o" / "records.jsonl").read_text(encoding="utf-8").splitlines()) == 1
