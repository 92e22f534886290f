"""The guarded QA chain: input guardrails -> retrieval -> retrieval guardrails -> context budget ->
generation ladder -> extractive fallback -> honest "cannot answer". Every step emits a TraceEvent.

Gets everything built and injected (guardrails, a retrieve function, the ladder); reads no settings. The steps
before the model are in chains/screening.py, the results each ending gives in chains/outcomes.py, the answer
without a model in chains/fallback_answer.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import RunnableConfig

from chains.circuit import Budget
from chains.errors import BudgetExceeded, CircuitOpen, OutputRejected, ReasksExhausted
from chains.fallback_answer import extractive_result
from chains.generation import GenerationLadder
from chains.outcomes import answered
from chains.recipe import AnswerPrompt, answer_prompt
from chains.schemas import OutputCheck, QARequest, QAResult
from chains.screening import Retriever, Screen, Screened
from chains.signals import SignalProvider
from chains.trace import TraceCollector, TraceEvent, emit
from guardrails import Chunk, Guardrail, Stage

__all__ = ["QAConfig", "QAPipeline", "Retriever", "Screened", "run_qa", "screen_qa"]


@dataclass(frozen=True)
class QAConfig:
    top_k: int = 4
    num_ctx: int = 2048
    num_predict: int = 256
    latency_budget_s: float = 120.0
    cancelled: Callable[[], bool] | None = None  # asked before every model call (e.g. an HTTP client gone)


@dataclass(frozen=True)
class QAPipeline:
    guardrails: Mapping[Stage, tuple[Guardrail, ...]]
    retrieve: Retriever
    ladder: GenerationLadder
    config: QAConfig = QAConfig()
    signals: SignalProvider | None = None  # model-backed measurements for the input and retrieval checks

    def screen(self, request: QARequest, config: RunnableConfig) -> Screened:
        """Everything before the model: input guardrails, retrieval, retrieval guardrails, dropped chunks.
        `run` goes on from here; the lab's retrieval-only scoring stops here (the same decisions, no model)."""
        return Screen(self.guardrails, self.retrieve, self.config.top_k, self.signals).screen(request, config)

    def run(self, request: QARequest, config: RunnableConfig) -> QAResult:
        """The whole request. Called directly, not as a Runnable: the events go straight to the collector in
        `config` (chains.trace.emit) and the model call opens its own callback run, so a wrapping chain run
        added a callback manager and ~0.3 ms per question for nothing (measured)."""
        screened = self.screen(request, config)
        if screened.blocked is not None:
            return screened.blocked
        verdicts = list(screened.verdicts)
        chunks = list(screened.retrieved)
        prompt = answer_prompt(
            request.question, chunks, history=request.history, num_ctx=self.config.num_ctx, num_predict=self.config.num_predict
        )
        emit(_context_event(prompt, self.config.num_ctx), config)
        kept = list(prompt.chunks)
        checks: list[OutputCheck] = []  # the ladder records every attempt's output verdicts here
        inp = self._ladder_input(request, prompt, kept, chunks, checks)
        handled: tuple[type[BaseException], ...] = (
            BudgetExceeded,
            OutputRejected,
            ReasksExhausted,
            CircuitOpen,
            *self.ladder.policy.transport_errors,
        )
        try:
            generated = self.ladder.invoke(inp, config)
        except handled as exc:
            emit(
                TraceEvent(
                    step="fallback",
                    name="model_ladder",
                    outcome="fallback",
                    reason=f"no model rung produced a usable answer (first failure: {type(exc).__name__}: {str(exc)[:200]}); answering from the documents",
                ),
                config,
            )
            result = extractive_result(request, kept, verdicts, self.ladder.output_guardrails, config, why=exc)
            return result.model_copy(update={"output_checks": tuple(checks)})
        result = answered(generated, kept, verdicts, first_rung=self.ladder.rungs[0].name)
        return result.model_copy(update={"output_checks": tuple(checks)})

    def _ladder_input(
        self, request: QARequest, prompt: AnswerPrompt, kept: list[Chunk], chunks: list[Chunk], checks: list[OutputCheck]
    ) -> dict[str, Any]:
        """What the generation ladder is invoked with: the prompt, its passages (`kept`), and what a rung needs to
        refit the prompt from all the screened passages (`chunks`)."""
        return {
            "messages": list(prompt.messages),
            "schema": prompt.schema,
            "chunks": kept,
            "question": request.question,
            "budget": Budget.start(self.config.latency_budget_s, cancelled=self.config.cancelled),
            "checks": checks,
            # what a rung needs to recognise a cut-off reply and to send a smaller prompt to a smaller model
            "num_ctx": self.config.num_ctx,
            "num_predict": self.config.num_predict,
            "refit": lambda num_ctx: answer_prompt(
                request.question, chunks, history=request.history, num_ctx=num_ctx, num_predict=self.config.num_predict
            ),
        }


def _context_event(prompt: AnswerPrompt, num_ctx: int) -> TraceEvent:
    """The context budget step: what fitted the prompt into num_ctx, or that everything fitted."""
    return TraceEvent(
        step="context",
        name="context_budget",
        outcome="cut" if prompt.cut else "ok",
        reason=(f"prompt fitted to num_ctx={num_ctx}: " + "; ".join(prompt.cut))
        if prompt.cut
        else f"{len(prompt.chunks)} chunks fit in ~{prompt.used_tokens}/{prompt.budget_tokens} tokens",
        details={"budget_tokens": prompt.budget_tokens, "used_tokens": prompt.used_tokens, "cut": list(prompt.cut)},
    )


def screen_qa(pipeline: QAPipeline, request: QARequest, *, collector: TraceCollector | None = None) -> Screened:
    """Input and retrieval checks only (QAPipeline.screen), run as run_qa runs them, so they cost what they cost
    in ask(): called directly, not as a Runnable, with the events going to `collector` (by default one of its
    own, dropped afterwards). A wrapping chain run and events dispatched through dispatch_custom_event (a
    callback manager and a run per event, when no collector is attached) added ~1 ms per question (measured)."""
    return pipeline.screen(request, {"callbacks": [collector or TraceCollector()]})


def run_qa(
    pipeline: QAPipeline,
    request: QARequest,
    *,
    observer: Callable[[TraceEvent], None] | None = None,
    on_token: Callable[[str], None] | None = None,
    callbacks: Sequence[BaseCallbackHandler] = (),
    collector: TraceCollector | None = None,
) -> QAResult:
    """Run one request with its own collector (or the caller's, when it must add events of its own, e.g.
    injected faults) and return the result with its trace attached."""
    collector = collector or TraceCollector(observer=observer, on_token=on_token)
    config: RunnableConfig = {"callbacks": [collector, *callbacks]}
    result = pipeline.run(request, config)
    collector.add(
        TraceEvent(
            step="result",
            name="result",
            outcome="ok" if result.status == "answered" else "fired",
            reason=f"status={result.status}" + (f", rung={result.rung}" if result.rung else ""),
        )
    )
    return result.model_copy(update={"events": tuple(collector.events), "llm_calls": collector.llm_calls})
