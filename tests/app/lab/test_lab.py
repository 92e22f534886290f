"""The three lab experiments on fakes: what they count, and that each yields a report and a PNG chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lab.experiments import run_experiment
from app.lab.experiments.latency import run_latency
from app.lab.experiments.nondeterminism import first_object, inspect, ladder, run_nondeterminism, summarize
from app.lab.experiments.overinference import FIXED, run_overinference, vague_prompts
from tests.app.lab.conftest import GOOD, MODEL
from tests.fake_service import FakeModelFactory, reopened

PNG = b"\x89PNG"


def test_latency_reports_warm_distribution_and_cold_calls(service) -> None:
    svc, factory = service(*[GOOD] * 6)  # 1 warm-up + 5 measured
    factory.fresh_factory = FakeModelFactory(scripts={MODEL: [GOOD, GOOD]})
    result = run_latency(svc, n=5, cold=2)
    s = result.report.summary
    assert [r["phase"] for r in result.report.rows] == ["cold", "cold"] + ["warm"] * 5
    assert s["cold_calls"] == 2 and s["warm_p50_ms"] is not None and s["warm_p95_ms"] >= s["warm_p50_ms"]
    assert 0 <= s["timeout_at_p95_cuts_warm"] <= 0.2
    assert result.png.startswith(PNG) and factory.models[MODEL].remaining == 0


def test_latency_sends_the_apps_schema_with_the_num_predict_cap(service) -> None:
    from chains.schemas import answer_chars_for

    svc, factory = service(*[GOOD] * 3, num_predict=256)
    run_latency(svc, n=2, cold=0)
    sent = [f for f in factory.formats if f is not None]
    assert sent and all(f["properties"]["answer"]["maxLength"] == answer_chars_for(256) for f in sent)


def test_latency_without_a_way_to_reload_says_so(service) -> None:
    svc, _ = service(*[GOOD] * 3)
    result = run_latency(svc, n=2)  # this fake factory has no fresh model to give
    assert result.report.summary["cold_calls"] == 0
    assert any("cold start not measured" in n.text for n in result.report.notes)


def test_report_json_keeps_its_notes_as_sentences(service, tmp_path: Path) -> None:
    """The notes became keyed (so the page can translate them); report.json's `notes` stay the English sentences
    other tools read, and `note_keys` carries the keys and values."""
    import json

    svc, _ = service(*[GOOD] * 3)
    result = run_experiment(svc, "latency", n=2, out=tmp_path / "l")
    data = json.loads((tmp_path / "l" / "report.json").read_text(encoding="utf-8"))
    assert data["notes"] == [n.text for n in result.report.notes] and all(isinstance(n, str) for n in data["notes"])
    assert [k["key"] for k in data["note_keys"]] == [n.key for n in result.report.notes]


def test_parse_ladder_and_inspection() -> None:
    assert ladder('{"name": "Ann", "age": 3}')[1] == "strict"
    assert ladder('Here you go:\n```json\n{"age": 3, "name": "Ann"}\n```')[1] == "lenient"
    assert ladder('{"name": "Ann", "age": 3')[1] == "repair"
    assert ladder("no json") == (None, None)
    assert first_object('x {"a": {"b": 1}} y') == ({"a": {"b": 1}}, 2, 17)
    row = inspect('Sure! {"age": 3, "name": "Ann"}', "raw", 0)
    assert row["failed"] and row["prose"] and row["keys"] == "age,name" and row["parsed"]
    fenced = inspect('```json\n{"name": "Ann", "age": 3}\n```', "raw", 1)
    assert fenced["fenced"] and not fenced["prose"]


def test_nondeterminism_counts_raw_vs_guarded(service) -> None:
    raw = ['{"name": "Ann", "age": 30}', 'Sure! {"age": 41, "name": "Bo"}', "I am an AI.", '{"name": "Ann", "age": 30}']
    guarded = ['{"name": "Ann", "age": 30}'] * 4
    svc, _ = service(*raw, *guarded)
    s = run_nondeterminism(svc, n=4).report.summary
    assert (s["raw_distinct_outputs"], s["raw_parse_failures"], s["raw_field_order_changes"], s["raw_prose_around"]) == (
        3,
        2,
        1,
        1,
    )
    assert (
        s["guarded_distinct_outputs"],
        s["guarded_parse_failures"],
        s["guarded_field_order_changes"],
        s["guarded_prose_around"],
    ) == (1, 0, 0, 0)
    assert s["raw_distinct_values"] == 2


def test_summarize_of_nothing_parsed() -> None:
    s = summarize([inspect("nope", "guarded", 0)])
    assert s["parse_failures"] == 1 and s["key_orders"] == 0 and s["field_order_changes"] == 0


def test_overinference_raw_invents_guard_asks(service) -> None:
    replies = ["Yes, this plan is reasonable and well thought out.", "Could you share the plan?"]
    svc, _ = service(*replies)
    result = run_overinference(svc, n=2)
    s = result.report.summary
    assert [r["prompt"] for r in result.report.rows] == list(FIXED)
    assert (s["raw_invented_rate"], s["raw_asked_rate"]) == (0.5, 0.5)
    assert (s["guarded_clarify_rate"], s["guarded_llm_calls"]) == (1.0, 0)
    assert result.png.startswith(PNG)


def test_vague_prompts_start_with_the_fixed_ones() -> None:
    prompts = vague_prompts(6)
    assert prompts[:2] == list(FIXED) and len(prompts) == 6 and len(set(prompts)) == 6


def test_run_experiment_writes_files_and_rejects_unknown(service, tmp_path: Path) -> None:
    svc, _ = service("Sure.", "What plan?")
    result = run_experiment(svc, "overinference", n=2, out=tmp_path / "o")
    assert {p.name for p in result.files} == {"report.json", "report.md", "overinference.png"}
    assert "Over-inference" in (tmp_path / "o" / "report.md").read_text()
    with pytest.raises(ValueError, match="unknown experiment"):
        run_experiment(svc, "speed")


def test_an_experiment_never_replaces_files_that_are_not_an_experiments(service, tmp_path: Path) -> None:
    """`lab --out ~/notes` replaced a user's own report.md (noticed by the h77 hunt; eval --out refuses alike)."""
    import io

    from app.cli.main import main

    svc, _ = service(*["Sure.", "What plan?"] * 3)  # the lab runs twice: two replies each
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "report.md").write_text("my own notes\n", encoding="utf-8")
    assert main(["lab", "overinference", "--n", "2", "--out", str(notes)], io.StringIO(), build=lambda s: reopened(svc)) == 2
    assert (notes / "report.md").read_text(encoding="utf-8") == "my own notes\n"
    with pytest.raises(FileExistsError, match="left as it is"):
        run_experiment(svc, "overinference", n=2, out=notes)
    earlier = tmp_path / "earlier"
    run_experiment(svc, "overinference", n=2, out=earlier)
    assert run_experiment(svc, "overinference", n=2, out=earlier).files  # an experiment's own folder is reused
