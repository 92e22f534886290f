"""By default no text of the answer, the model's output or a passage leaves the process (docs/OBSERVABILITY.md), and
the reasons of output checks, parse rungs, re-asks and fallbacks quote exactly that ("numbers not found in the
cited passages: 98765", a validation error quoting the reply). Without text export they keep each clause's head."""

from __future__ import annotations

from tests.app.telemetry.conftest import GOOD, PRELOAD, Q
from tests.ollama_double import Reply

WRONG = {**GOOD, "answer": "Ollama listens on port 98765 by default (zebracorn)."}
PROSE = "The port is 43210, says the quokkamancer."


def _strings(span) -> list[str]:
    values = [*span.attributes.values(), span.status.description or ""]
    return [str(x) for v in values for x in (v if isinstance(v, list | tuple) else [v])]


def _leaks(e, r, *secrets: str) -> list[tuple[str, str]]:
    root, children = e.trace_of(r)
    return [(span.name, s) for span in (root, *children) for s in _strings(span) if any(x in s for x in secrets)]


def test_without_text_export_no_reason_quotes_the_models_output(exported):
    e = exported([PRELOAD, Reply.text(PROSE), Reply.json_answer(WRONG)], [])
    r = e.svc.ask(Q)
    assert any("98765" in ev.reason for ev in r.events)  # the trace itself keeps it: it is the user's own record
    assert _leaks(e, r, "98765", "zebracorn", "43210", "quokkamancer") == []
    _, children = e.trace_of(r)
    grounding = [c for c in children if c.name == "guardrail grounding" and c.attributes["guarded_rag.outcome"] == "fired"]
    assert grounding and all(
        c.attributes["guarded_rag.reason"].startswith("numbers not found in the cited passages") for c in grounding
    )


def test_with_text_export_the_reasons_are_whole(exported):
    e = exported([PRELOAD, Reply.json_answer(WRONG), Reply.json_answer(GOOD)], otel_export_text=True)
    r = e.svc.ask(Q)
    assert any(name == "guardrail grounding" for name, _ in _leaks(e, r, "98765"))
