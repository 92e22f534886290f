"""Without text export no text of the answer or a passage leaves the process, whatever the reason's shape: reasons
made by the real guardrails that quote text with no colon before it, or with a "; " inside the quote, and an error
result's message (the root span's status description). Pure: stored records planned as spans, no SDK, no model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.telemetry.spans import TracePlan, plan
from app.traces import TraceRecord
from chains import TraceEvent
from chains.trace import verdict_event
from guardrails.answer_relevance import AnswerRelevanceGuardrail
from guardrails.base import Chunk, GuardContext
from guardrails.degenerate_output import DegenerateOutputGuardrail


def _record(*events: TraceEvent, status: str = "answered", message: str | None = None) -> TraceRecord:
    return TraceRecord(
        trace_id="ab" * 16,
        created_at=datetime.now(UTC),
        question="How do I set it up?",
        status=status,  # type: ignore[arg-type]
        backend="ollama",
        model="m",
        llm_calls=1,
        latency_ms=5.0,
        result={"message": message} if message is not None else {},
        events=events,
    )


def _strings(p: TracePlan) -> list[str]:
    """Every string a plan exports: span names, attribute values (list items too), status descriptions."""
    out: list[str] = []
    for span in (p.root, *p.children):
        out += [span.name, span.error or ""]
        for value in span.attributes.values():
            out += [str(x) for x in (value if isinstance(value, list | tuple) else [value])]
    return out


def _leaks(p: TracePlan, *secrets: str) -> list[str]:
    return [s for s in _strings(p) if any(x in s for x in secrets)]


def test_a_repeated_answer_with_a_semicolon_in_it_is_not_exported():
    verdict = DegenerateOutputGuardrail().check(GuardContext(question="q?", answer="zebracorn; quokka mancer. " * 12))
    assert verdict.fired and "quokka" in verdict.reason  # the stored trace keeps it: the user's own record
    p = plan(_record(verdict_event(verdict)), export_text=False, default_host="http://127.0.0.1:11434")
    assert _leaks(p, "zebracorn", "quokka", "mancer") == []
    assert p.children[0].attributes["guarded_rag.reason"] == "repetition loop"


def test_a_passage_heading_quoted_without_a_colon_is_not_exported():
    chunk = Chunk(chunk_id="c1", source="a.md", score=0.9, label="S1", text="## Installing the Quokkamancer\nRun setup.")
    ctx = GuardContext(
        question="How do I install it?", chunks=(chunk,), answer="Installing the Quokkamancer [S1]", citations=("S1",)
    )
    verdict = AnswerRelevanceGuardrail().check(ctx)
    assert verdict.fired and "Quokkamancer" in verdict.reason
    p = plan(_record(verdict_event(verdict)), export_text=False, default_host="http://127.0.0.1:11434")
    assert _leaks(p, "Quokkamancer", "Installing") == []
    assert p.children[0].attributes["guarded_rag.reason"] == "the answer is only the heading … of the cited passage"


@pytest.mark.parametrize(
    "reason",
    [
        "the answer restates: “zebracorn; quokka” vs “the passage”",  # curly quotes, "; " inside
        "a claim “quokka zebracorn” is not in the passage",  # no colon before the quote
        "a claim cut by the length cap 'quokka zebracorn",  # a quote the cap left open
        'heading "zebracorn quokka" only; the rest fine',
    ],
)
def test_quoted_text_never_leaves_a_reason_of_a_quoting_step(reason: str):
    event = TraceEvent(step="output", name="grounding", outcome="fired", reason=reason)
    p = plan(_record(event), export_text=False, default_host="http://127.0.0.1:11434")
    assert _leaks(p, "zebracorn", "quokka") == []
    with_text = plan(_record(event), export_text=True, default_host="http://127.0.0.1:11434")
    assert with_text.children[0].attributes["guarded_rag.reason"] == reason  # with text export: whole


def test_an_error_results_message_is_no_status_description_without_text_export():
    message = "the answer could not be checked: 'zebracorn quokka' is not valid"
    event = TraceEvent(step="result", name="error", outcome="error", reason=message)
    p = plan(_record(event, status="error", message=message), export_text=False, default_host="http://127.0.0.1:11434")
    assert _leaks(p, "zebracorn", "quokka") == []
    assert p.root.error == "the answer could not be checked"
    with_text = plan(_record(event, status="error", message=message), export_text=True, default_host="http://127.0.0.1:11434")
    assert with_text.root.error == message
