"""What a request leaves behind: the TraceRecord built from an AskResponse (redaction, the question and the
guardrails' inputs within their size caps). App root, used by the service; built on the trace writer's thread, off the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.contract import AskResponse
from app.traces import TraceInputs, TraceRecord, bounded, redact
from chains import TraceEvent
from chains.trace import capped_text
from guardrails.relevance import UNKNOWN_TERM


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
            question=redact(question) if self.redact_questions else capped_text(question),
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
            events=tuple(map(_redacted, response.events)) if self.redact_questions else tuple(response.events),
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


_QUESTION_DETAILS = ("query", "unknown_terms")
"""Event details that hold the question or its words: the search query (the question and the previous user turn)
and relevance's terms the corpus never uses."""


def _redacted(event: TraceEvent) -> TraceEvent:
    """The event with what it quotes of the question hashed, as the question is. The input checks see nothing but
    the question (and the user's earlier turns), so all their evidence is of it: the span a pattern matched, the
    start of a text too long. Relevance names the question's words the corpus lacks. Reasons, scores, thresholds
    and the passages' names stay, so the trace still says why; the reply (answer, clarifying questions) is kept
    as it is, like every answer, and may quote the question."""
    details = {k: _hashed(v) if k in _QUESTION_DETAILS else v for k, v in event.details.items()}
    evidence = tuple(redact(item) if event.step == "input" or item.startswith(UNKNOWN_TERM) else item for item in event.evidence)
    if details == event.details and evidence == tuple(event.evidence):
        return event
    return event.model_copy(update={"details": details, "evidence": evidence})


def _hashed(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [redact(v) if isinstance(v, str) else v for v in value]
    return value
