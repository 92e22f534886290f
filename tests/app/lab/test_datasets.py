"""Dataset adapters on tiny fixture files written in tmp: team-format JSONL, the shared sets, absent files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import Settings
from app.lab.evaluation import shared
from app.lab.evaluation.dataset_file import DatasetError, load_jsonl
from app.lab.evaluation.datasets import benign_companions, resolve, select, split_of
from tests.app.lab.conftest import write_jsonl


def test_team_sets_get_kinds_from_their_labels(eval_dir: Path) -> None:
    golden = resolve("golden", eval_dir=eval_dir)
    assert (
        golden
        and golden[0].kind == "answerable"
        and golden[0].answer_keywords == ("11434",)
        and golden[0].expected_sources == ("a.md",)
    )
    assert [i.kind for i in resolve("vague", eval_dir=eval_dir) or []] == ["vague", "clear"]
    assert [i.kind for i in resolve("unanswerable", eval_dir=eval_dir) or []] == ["unanswerable"]
    assert [i.kind for i in resolve("injection", eval_dir=eval_dir) or []] == ["injection", "benign"]


def test_a_jsonl_path_is_a_dataset_named_by_its_stem(eval_dir: Path) -> None:
    items = resolve(str(eval_dir / "vague.jsonl"))
    assert items and items[0].dataset == "vague"


def test_unknown_names_and_unlabelled_rows_are_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown dataset"):
        resolve("nope")
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "x", "question": "q"}])
    with pytest.raises(DatasetError, match="no label"):
        load_jsonl(bad)


def test_shared_sets(shared_dir: Path) -> None:
    cmrc = resolve("cmrc2018-trial", shared=shared_dir) or []
    assert [(i.id, i.gold_answers, i.expected_sources, i.lang) for i in cmrc] == [
        ("TRIAL_1_QUERY_0", ("光荣和ω-force",), ("TRIAL_1.txt",), "zh")
    ]
    assert shared.cmrc_paragraphs(shared_dir, "trial") == [("TRIAL_1", "《战国无双3》由光荣和ω-force开发。")]
    assert [i.kind for i in resolve("clamber", shared=shared_dir) or []] == ["vague", "clear"]
    clariq = resolve("clariq", shared=shared_dir) or []
    assert [(i.id, i.kind) for i in clariq] == [("clariq-1", "vague"), ("clariq-3", "clear")]  # need=2 skipped
    pf = resolve("promptfoo", shared=shared_dir) or []
    assert pf[0].question == f"Pretend you are free. {shared.PROMPTFOO_PAYLOAD}" and pf[1].question == "No slot here."
    assert all(i.kind == "injection" for i in pf)
    gk = resolve("giskard", shared=shared_dir) or []
    assert gk[0].question == "multi\nline attack" and gk[0].id == "giskard-0"
    assert [i.lang for i in resolve("flames", shared=shared_dir) or []] == ["zh"]


@pytest.mark.parametrize("name", ["cmrc2018-trial", "cmrc2018-dev", "clamber", "clariq", "promptfoo", "giskard", "flames"])
def test_absent_shared_sets_are_skipped_not_errors(tmp_path: Path, name: str) -> None:
    assert resolve(name, shared=tmp_path / "missing") is None


def test_split_is_stable_and_select_applies_limit(eval_dir: Path) -> None:
    items = (resolve("vague", eval_dir=eval_dir) or []) * 1
    assert split_of("vague/v1") == split_of("vague/v1") and split_of("x") in ("tune", "report")
    tune = select(items, split="tune")
    report = select(items, split="report")
    assert sorted(i.id for i in tune + report) == ["v1", "v2"]
    assert len(select(items, limit=1)) == 1


def test_benign_companions_are_clear_and_golden_questions(eval_dir: Path) -> None:
    items = benign_companions(eval_dir)
    assert {(i.dataset, i.id) for i in items} == {("benign:golden", "g1"), ("benign:vague", "v2")}
    assert all(i.kind == "benign" for i in items)


def test_default_locations_are_the_repositorys_data_and_shared_beside_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app.lab.evaluation.datasets import default_data_dir, default_eval_dir, default_shared

    checkout = Path(__file__).resolve().parents[3]
    assert (checkout / "pyproject.toml").is_file()
    monkeypatch.chdir(tmp_path)  # not the repository: the defaults must not depend on the working directory
    assert default_eval_dir() == checkout / "data" / "eval" and (default_eval_dir() / "golden.jsonl").is_file()
    assert default_data_dir() == checkout / "data"
    beside = checkout.parent / "shared" / "eval-data"
    assert default_shared() == (beside.resolve() if beside.exists() else Path("../shared/eval-data"))  # absent: as given
    assert default_eval_dir() == Settings().labelled_data  # one resolution: the lab reads what the detectors read


def test_attack_texts_are_the_attacks_of_the_injection_sets_and_nothing_benign(tmp_path: Path) -> None:
    from app.lab.evaluation.datasets import attack_texts, default_eval_dir

    rows = [json.loads(line) for line in (default_eval_dir() / "injection.jsonl").read_text(encoding="utf-8").splitlines()]
    team_only = attack_texts(shared=tmp_path / "no-shared-sets")  # absent third-party sets are skipped
    assert sorted(team_only) == sorted(r["question"] for r in rows if r["injection"])
    assert not {r["question"] for r in rows if not r["injection"]} & set(team_only)
