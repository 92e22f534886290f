"""The raw-vs-guarded runner on fakes: what each mode records, and interrupt/resume through records.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.lab.evaluation.records import RunRecord
from app.lab.evaluation.runner import RECORDS, ResumeMismatch, load_records, plan, run_eval
from tests.app.lab.conftest import ANSWERABLE, ATTACK, GOOD, UNANSWERABLE, VAGUE


def by_mode(records: list[RunRecord]) -> dict[tuple[str, str], RunRecord]:
    return {(r.id, r.mode): r for r in records}


def test_guarded_and_raw_side_by_side(service, tmp_path: Path) -> None:
    # Script order: guarded a1 (prose, then valid after the re-ask), raw a1 (prose), raw v1, raw u1.
    svc, factory = service(
        "Sure! The port is 11434.", GOOD, "Sure! The port is 11434.", "Yes, the plan is great.", "Bake it at 230 C."
    )
    records = by_mode(run_eval(svc, [ANSWERABLE, VAGUE, UNANSWERABLE, ATTACK], out=tmp_path / "out", progress=False))
    g, r = records[("a1", "guarded")], records[("a1", "raw")]
    assert (g.status, g.llm_calls, g.retries, g.first_valid, g.final_valid, g.typed) == ("answered", 2, 1, False, True, True)
    assert g.keyword_match is True and g.retrieval_hit is True and g.invalid_citations == 0 and g.citations
    assert (r.status, r.llm_calls, r.first_valid, r.typed, r.answer) == ("answered", 1, False, False, None)
    assert r.keyword_match is False and r.text_match is True  # the gold is in the text, but not in a usable answer
    assert r.first_output == "Sure! The port is 11434." and r.error and r.error.startswith("not JSON")
    v, vr = records[("v1", "guarded")], records[("v1", "raw")]
    assert (v.status, v.clarify, v.llm_calls) == ("clarify", True, 0)
    assert (vr.clarify, vr.llm_calls) == (False, 1)  # answered as if it knew
    u, ur = records[("u1", "guarded")], records[("u1", "raw")]
    assert (u.status, u.declined, u.llm_calls) == ("refused", True, 0)
    assert ur.declined is False
    i = records[("i1", "guarded")]
    assert (i.status, i.flagged, i.llm_calls) == ("refused", True, 0)
    assert ("i1", "raw") not in records  # raw has no input guardrail to score
    assert factory.models["smollm2:135m"].remaining == 0


def test_raw_citation_of_a_passage_never_retrieved_is_invalid(service, tmp_path: Path) -> None:
    svc, _ = service('{"answer": "11434", "citations": ["S1", "S9"]}')
    [record] = run_eval(svc, [ANSWERABLE], out=tmp_path / "out", modes=("raw",), progress=False)
    assert record.first_valid and record.typed and record.citations == ("S1", "S9") and record.invalid_citations == 1


def test_resume_skips_what_is_done(service, tmp_path: Path) -> None:
    out = tmp_path / "out"
    svc, _factory = service(GOOD)  # exactly one reply: a second model call would fail loudly
    run_eval(svc, [ANSWERABLE], out=out, modes=("guarded",), progress=False)
    again = run_eval(svc, [ANSWERABLE, VAGUE], out=out, modes=("guarded",), progress=False)
    assert [(r.id, r.status) for r in again] == [("a1", "answered"), ("v1", "clarify")]
    assert len((out / RECORDS).read_text().splitlines()) == 2


def test_an_interrupted_last_line_is_dropped_and_redone(service, tmp_path: Path) -> None:
    out = tmp_path / "out"
    svc, _ = service(GOOD, GOOD)
    run_eval(svc, [ANSWERABLE], out=out, modes=("guarded",), progress=False)
    path = out / RECORDS
    path.write_text(path.read_text() + '{"dataset": "t", "id": "v1", "ki')  # killed mid-write
    assert list(load_records(path)) == [("t", "a1", "guarded")]
    assert path.read_text().endswith("\n")
    run_eval(svc, [ANSWERABLE, VAGUE], out=out, modes=("guarded",), progress=False)
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a1", "v1"]


def test_interrupt_keeps_records_written_so_far(service, tmp_path: Path) -> None:
    out = tmp_path / "out"
    svc, _ = service(GOOD)

    def stop_after_first(record: RunRecord) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(svc, [ANSWERABLE, VAGUE], out=out, modes=("guarded",), progress=False, on_record=stop_after_first)
    assert list(load_records(out / RECORDS)) == [("t", "a1", "guarded")]


def test_resuming_with_another_model_is_refused_unless_fresh(service, tmp_path: Path) -> None:
    out = tmp_path / "out"
    svc, _ = service()
    run_eval(svc, [VAGUE], out=out, modes=("guarded",), progress=False)
    other = svc.derive(top_k=2)
    with pytest.raises(ResumeMismatch, match="--fresh"):
        run_eval(other, [VAGUE], out=out, modes=("guarded",), progress=False)
    assert [r.id for r in run_eval(other, [VAGUE], out=out, modes=("guarded",), fresh=True, progress=False)] == ["v1"]


def test_plan_never_runs_raw_on_screened_kinds() -> None:
    assert plan([ATTACK, VAGUE], ("guarded", "raw"), {}) == [(ATTACK, "guarded"), (VAGUE, "guarded"), (VAGUE, "raw")]


def test_screening_vague_items_decides_clarify_without_the_model(service, tmp_path: Path) -> None:
    from app.lab.evaluation.records import SCREENED_KINDS, EvalItem

    clear = EvalItem(dataset="t", id="c1", question="What port does Ollama listen on by default?", kind="clear")
    svc, _ = service()  # no replies: any model call would fail loudly
    records = by_mode(
        run_eval(
            svc,
            [VAGUE, clear, ATTACK],
            out=tmp_path / "out",
            modes=("guarded",),
            progress=False,
            screen=SCREENED_KINDS | {"vague", "clear"},
        )
    )
    assert [(r.status, r.clarify, r.llm_calls) for r in records.values()] == [
        ("clarify", True, 0),
        ("passed", False, 0),
        ("refused", False, 0),
    ]
