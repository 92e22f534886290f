"""Labels that came in with `traces import` count in the labelled quality figures only for a decision the trace
holds: a hand-edited or foreign export may carry a label for a guardrail that never ran in that request (or for a
decision it did not make), and such a label was counted as if the guardrail had decided it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app import TraceFilter, TraceLabel, false_blocks, quality
from tests.app.lab.policy.conftest import stored  # noqa: F401  (the fixture)


def foreign(target: str, decision: str, *, correct: bool, attempt: int = 1) -> TraceLabel:
    return TraceLabel(
        target=target,
        attempt=attempt,
        correct=correct,
        decision=decision,
        note="imported",
        source="user",
        created_at=datetime.now(UTC),
    )


def test_imported_labels_for_decisions_the_trace_lacks_are_not_counted(stored, tmp_path: Path) -> None:  # noqa: F811
    svc, ids = stored
    answered, refused = svc.traces.get(ids[0]), svc.traces.get(ids[-1])
    assert (answered.status, refused.status) == ("answered", "refused")
    assert [e.outcome for e in answered.events if e.name == "prompt_injection"] == ["passed"]  # ran once, passed
    lacking = {
        answered.trace_id: (
            foreign("prompt_injection", "fired", correct=True),  # it passed in this trace, it did not fire
            foreign("prompt_injection", "passed", correct=True, attempt=3),  # it ran once
            foreign("no_such_guardrail", "fired", correct=False),  # never ran
        ),
        refused.trace_id: (foreign("outcome", "answered", correct=True),),  # this trace was refused, not answered
    }
    export = tmp_path / "export.jsonl"
    lines = [r.model_copy(update={"labels": lacking[r.trace_id]}).model_dump_json() for r in (answered, refused)]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    svc.traces.import_jsonl(export)
    labelled = svc.traces.list(TraceFilter(labelled=True), full=True)
    assert sorted(len(r.labels) for r in labelled) == [1, 3]  # imported as they were: the export is kept whole
    assert quality(labelled) == [] and false_blocks(labelled) == []
