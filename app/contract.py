"""The public result of `ask`: the CLI `--json` contract other tools rely on, and the same object the UI and
tests get from the Python API. Fields may be added; existing ones are never renamed (tests pin them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chains import QAResult, Status, TraceEvent
from guardrails import Chunk, Turn, Verdict

BackendKind = Literal["ollama", "embedded"]
CONTRACT_FIELDS = ("status", "answer", "citations", "guardrails", "llm_calls", "backend", "model", "trace_id", "latency_ms")


class CitationOut(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    chunk_id: str
    label: str = ""
    score: float | None = None
    text: str = Field(default="", description="Cited chunk text (Python API/UI; omitted from CLI JSON).")


class GuardrailOut(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    stage: str
    fired: bool
    reason: str
    action: str = "pass"
    score: float | None = None
    threshold: float | None = None
    fail_mode: str = "closed"
    errored: bool = False
    attempt: int | None = Field(default=None, description="Output checks: which attempt of the rung they judged.")
    rung: str | None = Field(default=None, description="Output checks: which model rung's answer they judged.")


class AskResponse(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- the contract (never rename) --
    status: Status
    answer: str | None
    citations: list[CitationOut]
    guardrails: list[GuardrailOut]
    llm_calls: int
    backend: BackendKind = Field(
        description="The backend whose model produced the answer (the embedded rung answering for a failing Ollama: "
        "embedded); with no model answer, the configured one."
    )
    model: str
    trace_id: str
    latency_ms: float
    # -- extensions --
    rung: str | None = None
    confidence: float | None = None
    needs_clarification: bool = False
    missing: list[str] = Field(default_factory=list)
    clarifying_questions: list[str] = Field(default_factory=list)
    message: str | None = None
    backend_reason: str = ""
    backend_fix: str | None = None
    configured_backend: BackendKind | None = Field(
        default=None,
        description="The backend chosen for the question (GUARDED_RAG_BACKEND and the Ollama probe); `backend` differs "
        "from it when a fallback rung on the other backend answered.",
    )
    chaos: bool = False
    host: str | None = Field(
        default=None, description="The Ollama host whose reply was accepted (one of the pool); None: no Ollama reply was."
    )
    retrieved: list[Chunk] = Field(default_factory=list, description="Python API only.")
    events: list[TraceEvent] = Field(default_factory=list, description="Python API only; `--trace` adds them to JSON.")

    def to_json_dict(self, *, with_trace: bool = False) -> dict[str, Any]:
        exclude: dict[str, Any] = {"retrieved": True, "citations": {"__all__": {"text"}}}
        if not with_trace:
            exclude["events"] = True
        return self.model_dump(mode="json", exclude=exclude)


class AskOptions(BaseModel):
    """Per-request (per UI session) choices layered over Settings; validated like Settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="Settings field overrides: app.settings.REQUEST_FIELDS only (the model, sampling, retrieval, "
        "deadlines); changing another is a SettingsError naming it (GuardedRAG.effective).",
    )
    guardrails: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Guardrail policy overrides.")
    chaos: dict[str, Any] | None = Field(default=None, description="ChaosConfig fields; None disables chaos.")
    session: str | None = None


def answering_backend(result: QAResult, configured: BackendKind) -> BackendKind:
    """The backend whose model produced the result's answer: the answering rung's, else (no model answered: the
    documents' fallback, a refusal, an error) the configured one."""
    return "embedded" if result.backend == "embedded" else "ollama" if result.backend == "ollama" else configured


def to_response(
    result: QAResult,
    *,
    backend: BackendKind,
    model: str,
    trace_id: str,
    latency_ms: float,
    backend_reason: str = "",
    backend_fix: str | None = None,
    chaos: bool = False,
    host: str | None = None,
) -> AskResponse:
    clar = result.clarification
    return AskResponse(
        status=result.status,
        answer=result.answer,
        citations=[
            CitationOut(source=c.source, chunk_id=c.chunk_id, label=c.label, score=c.score, text=c.text) for c in result.citations
        ],
        guardrails=_guardrails(result),
        llm_calls=result.llm_calls,
        backend=answering_backend(result, backend),
        model=result.model or model,
        trace_id=trace_id,
        latency_ms=round(latency_ms, 1),
        rung=result.rung,
        confidence=result.confidence,
        needs_clarification=result.needs_clarification,
        missing=list(clar.missing) if clar else [],
        clarifying_questions=list(clar.questions) if clar else [],
        message=result.message,
        backend_reason=backend_reason,
        backend_fix=backend_fix,
        configured_backend=backend,
        chaos=chaos,
        host=host,
        retrieved=list(result.retrieved),
        events=list(result.events),
    )


def _out(v: Verdict, *, attempt: int | None = None, rung: str | None = None) -> GuardrailOut:
    return GuardrailOut(
        name=v.name,
        stage=v.stage,
        fired=v.fired,
        reason=v.reason,
        action=v.action,
        score=v.score,
        threshold=v.threshold,
        fail_mode=v.fail_mode,
        errored=v.errored,
        attempt=attempt,
        rung=rung,
    )


def _guardrails(result: QAResult) -> list[GuardrailOut]:
    """Every check that ran: the input and retrieval verdicts, then the output checks of every attempt of every
    rung (not only the attempt that was accepted)."""
    if not result.output_checks:
        return [_out(v) for v in result.verdicts]
    before = [_out(v) for v in result.verdicts if v.stage != "output"]
    return before + [_out(c.verdict, attempt=c.attempt, rung=c.rung) for c in result.output_checks]


def history_from(pairs: list[tuple[str, str]]) -> tuple[Turn, ...]:
    return tuple(Turn(role="user" if role == "user" else "assistant", content=text) for role, text in pairs)
