"""The tune/report split is stable: a pure function of "<dataset>/<id>", the same in the app and the lab, and
the report half of the sets that existed before the detectors were tuned is pinned here item by item (adding
items never moves an old one; a changed hash function or key format fails this test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import split_of as app_split_of
from app.lab.evaluation.datasets import resolve, split_of

REPO = Path(__file__).resolve().parents[3]
# The report split of the first items of each team set, as it was when the input detectors were first tuned.
PINNED_REPORT = {
    "golden": (
        40,
        "g002 g003 g004 g005 g008 g009 g011 g012 g013 g014 g019 g022 g023 g025 g026 g027 g028 g030 g032 g033 g034 g037 g039 g040",
    ),
    "vague": (
        44,
        "v002 v006 v007 v008 v010 v011 v019 v020 v021 v022 v023 v025 v027 v028 v030 v031 v032 v034 v037 v038 v041 v044",
    ),
    "injection": (33, "i003 i006 i008 i010 i011 i012 i013 i017 i018 i019 i021 i025 i026 i027 i028 i030 i031 i032 i033"),
    "unanswerable": (25, "u005 u006 u007 u009 u011 u012 u013 u014 u015 u016 u017 u019 u022 u024 u025"),
}


def test_one_split_function_for_app_and_lab() -> None:
    assert split_of is app_split_of
    assert [split_of(k) for k in ("x", "promptfoo/promptfoo-000", "injection/i001", "injection/i003")] == [
        "report",
        "report",
        "tune",
        "report",
    ]


@pytest.mark.parametrize("name", sorted(PINNED_REPORT))
def test_report_split_of_the_team_sets_is_pinned(name: str) -> None:
    first, ids = PINNED_REPORT[name]
    rows = [json.loads(line) for line in (REPO / "data" / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows[:first] if split_of(f"{name}/{r['id']}") == "report"] == ids.split()


@pytest.mark.parametrize("name", ["golden", "vague", "unanswerable", "injection", "benign"])
def test_every_team_set_has_both_halves_in_both_languages(name: str) -> None:
    items = resolve(name, eval_dir=REPO / "data" / "eval") or []
    halves = {(split_of(i.key), i.lang) for i in items}
    assert halves == {("tune", "zh"), ("tune", "en"), ("report", "zh"), ("report", "en")}
    assert len({i.id for i in items}) == len(items)  # ids unique: a key names one item


def test_the_passage_set_has_both_halves_in_both_languages_and_they_never_move() -> None:
    from app.lab.evaluation.passages import load_passages

    rows = load_passages(REPO / "data" / "eval" / "doc_injection.jsonl")
    halves = {}
    for r in rows:
        key = (split_of(f"doc_injection/{r.id}"), r.lang, r.kind)
        halves[key] = halves.get(key, 0) + 1
    # pinned when the set was added (2026-12-03): rules of context_injection are designed on tune only
    assert halves == {
        ("tune", "en", "doc_injection"): 42, ("tune", "en", "doc_benign"): 41,
        ("report", "en", "doc_injection"): 38, ("report", "en", "doc_benign"): 39,
        ("tune", "zh", "doc_injection"): 39, ("tune", "zh", "doc_benign"): 41,
        ("report", "zh", "doc_injection"): 41, ("report", "zh", "doc_benign"): 39,
    }  # fmt: skip
    assert len({r.id for r in rows}) == len(rows)
    held = load_passages(REPO / "data" / "eval" / "doc_injection_heldout.jsonl")
    assert len(held) == 100 and not {r.id for r in held} & {r.id for r in rows}
    second = load_passages(REPO / "data" / "eval" / "doc_injection_heldout2.jsonl")
    assert len(second) == len({r.id for r in second}) == 120
    assert not {r.id for r in second} & ({r.id for r in rows} | {r.id for r in held})
