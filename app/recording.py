"""What a request leaves behind: the TraceRecord built from an AskResponse (redaction, the guardrails' inputs
within their size cap). App root, used by the service; built on the trace writer's thread, off the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.contract import AskResponse
from app.traces import TraceInputs, TraceRecord, bounded, redact
from chains import TraceEvent


@dataclass(frozen=True)
class TraceRecorder:
    """Turns one answered request into its stored record, under the privacy settings it was built with."""

    origin: str  # which process answered, in a shared trace store ("host/pid")
    redact_questions: bool = False
    inputs_kb: int = 64

    def record(
        self, question: str, response: AskResponse, session: str | None, created: datetime, inputs: TraceInputs
    ) -> TraceRecord:
        return TraceRecord(
            trace_id=response.trace_id,
            created_at=created,
            question=redact(question) if self.redact_questions else question,
            status=response.status,
            backend=response.backend,
            model=response.model,
            rung=response.rung,
            llm_calls=response.llm_calls,
            latency_ms=response.latency_ms,
            fired=tuple(g.name for g in response.guardrails if g.fired),
            session=session,
            origin=self.origin,
            result=response.to_json_dict() | {"message": response.message},
            events=tuple(_redacted_query(e) for e in response.events) if self.redact_questions else tuple(response.events),
            inputs=self.kept_inputs(inputs),
        )

    def kept_inputs(self, inputs: TraceInputs) -> TraceInputs:
        """What of the guardrails' inputs a trace keeps. Redacted questions keep none: the question is in every
        stage's context, and the retrieved passages would tell what it was about (docs/GUARDRAILS.md, Policy lab)."""
        if self.redact_questions:
            return TraceInputs(note="not kept: questions are redacted (GUARDED_RAG_REDACT_QUESTIONS)")
        if self.inputs_kb == 0:
            return TraceInputs(note="not kept: GUARDED_RAG_TRACE_INPUTS_KB is 0")
        return bounded(inputs, self.inputs_kb * 1024)


def _redacted_query(event: TraceEvent) -> TraceEvent:
    """The retrieval event records its search query, which holds the question (and the previous user turn)."""
    query = event.details.get("query")
    if not isinstance(query, str):
        return event
    return event.model_copy(update={"details": {**event.details, "query": redact(query)}})
