"""Resuming an eval run only reuses records computed on the same collection and corpus; two datasets of the same
file stem (from different folders) stay two datasets; the same dataset named twice is scored once."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lab.evaluation.records import EvalItem, RunMeta
from app.lab.evaluation.runner import META, RECORDS, ResumeMismatch, run_eval
from app.lab.evaluation.suite import evaluate
from tests.app.lab.conftest import UNANSWERABLE, VAGUE, write_jsonl

BREAD = EvalItem(dataset="t", id="b1", question="How do I bake sourdough bread?", kind="answerable")


def other_collection(svc, folder: Path, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bread.md").write_text(text, encoding="utf-8")
    other = svc.derive(collection="other", docs_dir=folder)
    other.ingest()
    return other


def test_results_of_another_collection_are_not_reused(service, tmp_path: Path) -> None:
    svc, _ = service()
    out = tmp_path / "out"
    [first] = run_eval(svc, [UNANSWERABLE], out=out, modes=("guarded",), progress=False, retrieval=frozenset({"unanswerable"}))
    assert first.declined  # no bread in the user's own documents
    other = other_collection(svc, tmp_path / "bread", "Bake sourdough bread with a starter at 230 C.")
    with pytest.raises(ResumeMismatch, match=r"collection docs, not other.*--fresh"):
        run_eval(other, [UNANSWERABLE], out=out, modes=("guarded",), progress=False, retrieval=frozenset({"unanswerable"}))
    [again] = run_eval(
        other, [UNANSWERABLE], out=out, modes=("guarded",), fresh=True, progress=False, retrieval=frozenset({"unanswerable"})
    )
    assert not again.declined  # measured on the other collection, not the first run's record


def test_a_reingested_corpus_under_the_same_name_is_not_reused(service, tmp_path: Path) -> None:
    svc, _ = service()
    out = tmp_path / "out"
    folder = tmp_path / "bread"
    other = other_collection(svc, folder, "Bake sourdough bread with a starter at 230 C.")
    run_eval(other, [UNANSWERABLE], out=out, modes=("guarded",), progress=False, retrieval=frozenset({"unanswerable"}))
    (folder / "bread.md").write_text("Knead rye dough for twenty minutes.", encoding="utf-8")
    other.ingest()
    with pytest.raises(ResumeMismatch, match="another corpus in collection other"):
        run_eval(other, [UNANSWERABLE], out=out, modes=("guarded",), progress=False, retrieval=frozenset({"unanswerable"}))


def test_datasets_on_different_collections_share_one_folder(service, tmp_path: Path) -> None:
    """`eval golden cmrc2018-dev` runs each set on its own collection into one --out: each set resumes on its own."""
    svc, _ = service()
    out = tmp_path / "out"
    other = other_collection(svc, tmp_path / "bread", "Bake sourdough bread with a starter.")
    bread = BREAD.model_copy(update={"dataset": "bread"})
    for _ in range(2):  # the second round resumes both
        run_eval(svc, [VAGUE], out=out, modes=("guarded",), progress=False)
        run_eval(other, [bread], out=out, modes=("guarded",), progress=False, retrieval=frozenset({"answerable"}))
    corpora = RunMeta.model_validate_json((out / META).read_text(encoding="utf-8")).corpora
    assert set(corpora) == {"t", "bread"} and corpora["t"].startswith("docs@") and corpora["bread"].startswith("other@")
    assert len((out / RECORDS).read_text(encoding="utf-8").splitlines()) == 2


def test_a_folder_from_before_corpora_were_kept_is_checked_by_collection(service, tmp_path: Path) -> None:
    svc, _ = service()
    out = tmp_path / "out"
    run_eval(svc, [VAGUE], out=out, modes=("guarded",), progress=False)
    old = RunMeta.model_validate_json((out / META).read_text(encoding="utf-8")).model_copy(update={"corpora": {}})
    (out / META).write_text(old.model_dump_json(), encoding="utf-8")
    run_eval(svc, [VAGUE], out=out, modes=("guarded",), progress=False)  # same collection: resumed
    other = other_collection(svc, tmp_path / "bread", "Bake sourdough bread.")
    (out / META).write_text(old.model_dump_json(), encoding="utf-8")
    with pytest.raises(ResumeMismatch, match="collection docs, not other"):
        run_eval(other, [VAGUE], out=out, modes=("guarded",), progress=False)


def vague_set(path: Path, question: str) -> Path:
    return write_jsonl(path, [{"id": "1", "question": question, "lang": "en", "vague": True}])


def test_two_files_of_the_same_name_stay_two_datasets(service, tmp_path: Path) -> None:
    svc, _ = service()
    a = vague_set(tmp_path / "a" / "golden.jsonl", "Fix this.")
    b = vague_set(tmp_path / "b" / "golden.jsonl", "Is this plan reasonable?")
    outcome = evaluate(svc, [str(a), str(b)], out=tmp_path / "out", modes=("guarded",), input_only=True, progress=False)
    assert len(outcome.records) == 2 and {r.dataset for r in outcome.records} == {"a/golden", "b/golden"}
    assert outcome.report.datasets == ("a/golden", "b/golden")
    assert outcome.report.groups["all"]["guarded"].n == 2


def test_a_file_named_like_a_team_set_is_not_that_set(service, tmp_path: Path, eval_dir: Path) -> None:
    svc, _ = service()
    mine = vague_set(tmp_path / "mine" / "vague.jsonl", "Improve it.")
    outcome = evaluate(
        svc, ["vague", str(mine)], out=tmp_path / "out", eval_dir=eval_dir, modes=("guarded",), input_only=True, progress=False
    )
    assert [(r.dataset, r.id) for r in outcome.records] == [("vague", "v1"), ("vague", "v2"), ("mine/vague", "1")]


def test_a_dataset_named_twice_is_scored_once(service, tmp_path: Path) -> None:
    svc, _ = service()
    a = vague_set(tmp_path / "a" / "golden.jsonl", "Fix this.")
    outcome = evaluate(svc, [str(a), str(a)], out=tmp_path / "out", modes=("guarded",), input_only=True, progress=False)
    assert len(outcome.records) == 1 and outcome.report.groups["golden"]["guarded"].n == 1


def test_the_report_says_which_corpus_each_set_was_computed_on(service, tmp_path: Path) -> None:
    svc, _ = service()
    a = vague_set(tmp_path / "a.jsonl", "Fix this.")
    outcome = evaluate(svc, [str(a)], out=tmp_path / "out", modes=("guarded",), input_only=True, progress=False)
    kept = RunMeta.model_validate_json((tmp_path / "out" / META).read_text(encoding="utf-8")).corpora
    assert outcome.report.meta.corpora == kept == {"a": kept["a"]} and kept["a"].startswith("docs@")


def test_a_file_named_all_does_not_replace_the_group_of_every_set(service, tmp_path: Path) -> None:
    svc, _ = service()
    a = vague_set(tmp_path / "mine" / "all.jsonl", "Fix this.")
    b = vague_set(tmp_path / "mine" / "b.jsonl", "Improve it.")
    outcome = evaluate(svc, [str(a), str(b)], out=tmp_path / "out", modes=("guarded",), input_only=True, progress=False)
    assert outcome.report.datasets == ("mine/all", "b")
    assert outcome.report.groups["all"]["guarded"].n == 2  # was the file's 1: its group replaced the aggregate
