"""Trace: the typed record of every step of one request, and the per-request collector that gathers it.

The collector is a LangChain callback handler passed in RunnableConfig["callbacks"] (no globals): chain
steps dispatch custom events, and model calls are observed through the standard LLM callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, get_args
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.callbacks.manager import dispatch_custom_event
from langchain_core.outputs import LLMResult
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field, field_validator

from guardrails import GuardContext, Stage, Verdict

Step = Literal["backend", "input", "retrieval", "context", "generation", "parse", "output", "fallback", "chaos", "result"]
# Which of a stage's checks one GuardInputs holds (GuardInputs.part).
Part = Literal["whole", "filter", "judge"]
Outcome = Literal["ok", "passed", "fired", "error", "retry", "reask", "fallback", "skipped", "loading", "cut"]

TRACE_EVENT = "guarded_rag.trace"
# A model call's metadata key naming the step it belongs to (the model-judged input check says "input");
# without it a model call is the generation step's.
STEP_KEY = "guarded_rag_step"
ATTEMPT_KEY = "guarded_rag_attempt"  # run metadata: the ladder's attempt on its rung, so a model_call event carries it
_STEPS: frozenset[str] = frozenset(get_args(Step))
# The most characters of one text a trace event keeps: its raw_output, its reason, each evidence item and each
# string inside details and parsed_output. A longer text keeps its beginning and a marker saying how long it was
# (`capped_text`). Enforced by TraceEvent itself, so no step can forget it: a 10 MB model reply was stored whole in
# every event that carried it (the model call, the parse failure, the re-ask) and made an ~80 MB trace.
TRACE_TEXT_MAX_CHARS = 16 * 1024
_MARKER_ROOM = 96  # characters kept free for the marker (two 20-digit numbers fit)


def capped_text(text: str, limit: int = TRACE_TEXT_MAX_CHARS) -> str:
    """`text` when it has at most `limit` characters; else its beginning and a marker saying how many characters
    the whole had, `limit` characters at most in all (so capping a capped text changes nothing)."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - _MARKER_ROOM)
    return f"{text[:keep]}… [cut by the trace: {len(text)} characters in all, the first {keep} kept]"


def _has_long_text(value: Any) -> bool:
    """Whether a string longer than the cap is anywhere in `value` (dict values, list and tuple items, any depth):
    one pass that builds nothing, as events almost never hold one (a verdict's details are a few numbers)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if len(item) > TRACE_TEXT_MAX_CHARS:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def _capped_values(value: Any) -> Any:
    """`value` with every string inside it (dict values, list and tuple items, at any depth) capped."""
    if isinstance(value, str):
        return capped_text(value)
    if isinstance(value, dict):
        return {k: _capped_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        capped = [_capped_values(v) for v in value]
        return capped if isinstance(value, list) else tuple(capped)
    return value


class TraceEvent(BaseModel):
    """One step of one request: what ran, what happened, why, with the evidence. Every text in it is capped at
    TRACE_TEXT_MAX_CHARS characters when the event is made (`capped_text`): a trace's size does not follow the
    size of a model's reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = 0
    step: Step
    name: str
    outcome: Outcome
    reason: str = ""
    evidence: tuple[str, ...] = ()
    attempt: int = 1
    model: str | None = None
    raw_output: str | None = None
    parsed_output: dict[str, Any] | None = None
    tokens: dict[str, int] | None = None
    duration_ms: float = 0.0
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    details: dict[str, Any] = Field(default_factory=dict)

    @field_validator("reason")
    @classmethod
    def _cap_reason(cls, value: str) -> str:
        return capped_text(value)

    @field_validator("raw_output")
    @classmethod
    def _cap_raw_output(cls, value: str | None) -> str | None:
        return None if value is None else capped_text(value)

    @field_validator("evidence")
    @classmethod
    def _cap_evidence(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return value if all(len(e) <= TRACE_TEXT_MAX_CHARS for e in value) else tuple(capped_text(e) for e in value)

    @field_validator("details", "parsed_output")
    @classmethod
    def _cap_strings(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _capped_values(value) if value is not None and _has_long_text(value) else value


class GuardInputs(BaseModel):
    """What one stage's guardrails (or one part of them, `part`) saw and decided: the whole GuardContext (question, history, chunks with every
    field they carry, the answer and citations of one attempt, every Signal) and the verdicts. Kept so a decision
    can be recomputed later under another policy without a model (the policy lab replays these)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Stage
    scope: Literal["chain", "system"] = Field(
        default="chain", description="chain: the QA chain's stage; system: a client's system prompt screened by the service."
    )
    attempt: int = Field(default=1, description="Output stage: the attempt on its rung (1 = first answer, 2 = after a re-ask).")
    rung: str | None = Field(default=None, description="Output stage: the ladder rung that answered this attempt.")
    rung_index: int = Field(default=0, description="Output stage: 0 for the first rung; later rungs make a fallback.")
    model: str | None = None
    measured: bool = Field(
        default=True,
        description="The stage's signals were computed (False: none were, as no guardrail ran at this stage or a gate, "
        "input_size, refused before the checks that read them).",
    )
    signals_offered: tuple[str, ...] | None = Field(
        default=None,
        description="The signals the app computes at this stage (its scorers'). A signal a guardrail reads that is in "
        "neither this list nor the context was never computed by that app: the guardrail decided without it and a "
        "replay does the same. None: recorded before this was kept, such a decision is not recomputed.",
    )
    part: Part = Field(
        default="whole",
        description="Which of the stage's checks ran on this context. Retrieval runs in two parts: 'filter', the "
        "checks that leave passages out (context_injection), on every retrieved passage; then 'judge', the other "
        "checks (relevance), on the passages kept. 'whole': every check of the stage on one context (the input and "
        "output stages; a retrieval stage recorded before the split, where every check saw every passage).",
    )
    context: GuardContext
    verdicts: tuple[Verdict, ...] = ()


def verdict_event(verdict: Verdict, *, attempt: int = 1, model: str | None = None, rung: str | None = None) -> TraceEvent:
    """A verdict as its trace event; an output check also names its attempt, model and rung (built here in one
    go: a copy of the event with those fields was one more pydantic copy per output check)."""
    details = {
        "action": verdict.action,
        "score": verdict.score,
        "threshold": verdict.threshold,
        "fail_mode": verdict.fail_mode,
        "errored": verdict.errored,
        **verdict.details,
    }
    if rung is not None:
        details["rung"] = rung
    return TraceEvent(
        step=verdict.stage,
        name=verdict.name,
        outcome="fired" if verdict.fired else "passed",
        reason=verdict.reason,
        evidence=verdict.evidence,
        attempt=attempt,
        model=model,
        duration_ms=verdict.duration_ms,
        details=details,
    )


def emit(event: TraceEvent, config: RunnableConfig | None) -> None:
    """Send an event to the request's collector (none attached: dropped). The collector in the config's
    callbacks is called directly: dispatch_custom_event builds a callback manager and a run per event, which
    was a measurable share of the whole guard path; other handlers still get it through that route."""
    collector = _collector(config)
    if collector is not None:
        collector.add(event)
    else:
        dispatch_custom_event(TRACE_EVENT, event, config=config)


def record_inputs(inputs: GuardInputs, config: RunnableConfig | None) -> None:
    """Hand what a stage's guardrails saw to the request's collector (none attached: not kept). Only a
    reference is kept here; it is serialized after the request, on the trace writer's thread."""
    collector = _collector(config)
    if collector is not None:
        collector.add_inputs(inputs)


def _collector(config: RunnableConfig | None) -> TraceCollector | None:
    callbacks = (config or {}).get("callbacks")
    handlers = callbacks.handlers if isinstance(callbacks, BaseCallbackManager) else (callbacks or [])
    return next((h for h in handlers if isinstance(h, TraceCollector)), None)


class TraceCollector(BaseCallbackHandler):
    """Gathers one request's events; `observer` sees each event (and `on_token` each token) as it happens."""

    def __init__(
        self,
        observer: Callable[[TraceEvent], None] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> None:
        self.events: list[TraceEvent] = []
        self.inputs: list[GuardInputs] = []  # what each stage's guardrails saw, in the order they ran
        self.llm_calls = 0
        self._observer = observer
        self._on_token = on_token
        self._starts: dict[UUID, tuple[float, str | None, Step, int]] = {}

    # Chain, retry and retriever callbacks carry nothing the trace keeps (steps emit their own events):
    # ignoring them lets LangChain skip this handler on every Runnable layer of the request.
    @property
    def ignore_chain(self) -> bool:
        return True

    @property
    def ignore_retry(self) -> bool:
        return True

    @property
    def ignore_retriever(self) -> bool:
        return True

    def detach(self) -> None:
        """Stop telling the observer and the token sink: their caller has stopped (a UI run interrupted), and
        calling them again would only raise again. Events are still collected, for the trace."""
        self._observer = self._on_token = None

    def add(self, event: TraceEvent) -> TraceEvent:
        event = event.model_copy(update={"seq": len(self.events) + 1})
        self.events.append(event)
        if self._observer is not None:
            self._observer(event)
        return event

    def add_inputs(self, inputs: GuardInputs) -> None:
        self.inputs.append(inputs)

    # -- custom events from chain steps ------------------------------------------------------------
    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if name == TRACE_EVENT and isinstance(data, TraceEvent):
            self.add(data)

    # -- model calls -------------------------------------------------------------------------------
    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID, **kwargs: Any) -> None:
        params = kwargs.get("invocation_params") or {}
        metadata = kwargs.get("metadata") or {}
        model = params.get("model") or metadata.get("ls_model_name")
        self.llm_calls += 1
        step = metadata.get(STEP_KEY)
        attempt = metadata.get(ATTEMPT_KEY)
        self._starts[run_id] = (
            time.perf_counter(),
            model,
            step if step in _STEPS else "generation",
            attempt if isinstance(attempt, int) and attempt >= 1 else 1,
        )

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        if self._on_token is not None and isinstance(token, str) and token:
            self._on_token(token)

    def _finish(self, run_id: UUID) -> tuple[float, str | None, Step, int]:
        started, model, step, attempt = self._starts.pop(run_id, (time.perf_counter(), None, "generation", 1))
        return (time.perf_counter() - started) * 1000, model, step, attempt

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        duration, model, step, attempt = self._finish(run_id)
        gen = response.generations[0][0] if response.generations and response.generations[0] else None
        text = gen.text if gen is not None else ""
        info = (gen.generation_info or {}) if gen is not None else {}
        tokens = {k: int(info[k]) for k in ("prompt_eval_count", "eval_count") if isinstance(info.get(k), int)}
        self.add(
            TraceEvent(
                step=step,
                name="model_call",
                outcome="ok",
                reason=f"done_reason={info.get('done_reason', '?')}",
                model=model,
                raw_output=text,
                tokens=tokens or None,
                duration_ms=duration,
                attempt=attempt,
            )
        )

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        duration, model, step, attempt = self._finish(run_id)
        self.add(
            TraceEvent(
                step=step,
                name="model_call",
                outcome="error",
                reason=f"{type(error).__name__}: {str(error)[:300]}",
                model=model,
                duration_ms=duration,
                attempt=attempt,
            )
        )
