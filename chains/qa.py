"""The guarded QA chain: input guardrails -> retrieval -> retrieval guardrails -> context budget ->
generation ladder -> extractive fallback -> honest "cannot answer". Every step emits a TraceEvent.

Gets everything built and injected (guardrails, a retrieve function, the ladder); reads no settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import RunnableConfig

from chains.circuit import Budget
from chains.errors import BudgetExceeded, CircuitOpen, OutputRejected, ReasksExhausted
from chains.extractive import Extract, extract_answer
from chains.fallback_text import CANNOT_ANSWER, LEFT_OUT, QUOTED, no_model_answer
from chains.generation import Generated, GenerationLadder
from chains.recipe import answer_prompt
from chains.schemas import Citation, Clarification, OutputCheck, QARequest, QAResult
from chains.signals import SignalProvider, signal_names, with_signals
from chains.trace import GuardInputs, Part, TraceCollector, TraceEvent, emit, record_inputs, verdict_event
from guardrails import (
    Chunk,
    GuardContext,
    Guardrail,
    Stage,
    Verdict,
    blocking_verdict,
    dropped_chunks,
    kept_chunks,
    removes_passages,
    run_guardrail,
)
from guardrails.text import lang_of

Retriever = Callable[[str, int], Sequence[Chunk]]


@dataclass(frozen=True)
class QAConfig:
    top_k: int = 4
    num_ctx: int = 2048
    num_predict: int = 256
    latency_budget_s: float = 120.0
    cancelled: Callable[[], bool] | None = None  # asked before every model call (e.g. an HTTP client gone)


@dataclass(frozen=True)
class Screened:
    """The request up to the model: every verdict so far, the passages that would be sent, and the result that
    ended the request (refused / clarify) or None when it would go on to the model."""

    verdicts: tuple[Verdict, ...]
    retrieved: tuple[Chunk, ...]
    blocked: QAResult | None


@dataclass(frozen=True)
class QAPipeline:
    guardrails: Mapping[Stage, tuple[Guardrail, ...]]
    retrieve: Retriever
    ladder: GenerationLadder
    config: QAConfig = QAConfig()
    signals: SignalProvider | None = None  # model-backed measurements for the input and retrieval checks

    # -- steps ----------------------------------------------------------------------------------------
    def _check(
        self,
        stage: Stage,
        ctx: GuardContext,
        config: RunnableConfig,
        guards: tuple[Guardrail, ...] | None = None,
        *,
        part: Part = "whole",
    ) -> list[Verdict]:
        """Run `guards` (default: all of the stage's) on `ctx` with the stage's signals, each verdict an event,
        and record what they saw (GuardInputs) for the policy lab."""
        guards = self.guardrails.get(stage, ()) if guards is None else guards
        if guards:
            ctx = with_signals(self.signals, stage, ctx)
        verdicts = []
        for g in guards:  # each verdict recorded as its check ends: its event time is when it finished
            verdicts.append(run_guardrail(g, ctx))
            emit(verdict_event(verdicts[-1]), config)
        offered = signal_names(self.signals, stage, ctx) if guards else ()
        inputs = GuardInputs(
            stage=stage, part=part, context=ctx, verdicts=tuple(verdicts), measured=bool(guards), signals_offered=offered
        )
        record_inputs(inputs, config)
        return verdicts

    def screen(self, request: QARequest, config: RunnableConfig) -> Screened:
        """Everything before the model: input guardrails, retrieval, retrieval guardrails, dropped chunks.
        `run` goes on from here; the lab's retrieval-only scoring stops here (the same decisions, no model)."""
        verdicts: list[Verdict] = []
        ctx = GuardContext(question=request.question, history=request.history)
        verdicts += self._check("input", ctx, config)
        blocked = _blocking(verdicts)
        if blocked is not None:
            return Screened(verdicts=tuple(verdicts), retrieved=(), blocked=blocked)
        chunks = tuple(self._retrieve(request, config))
        return self._screen_retrieved(ctx.model_copy(update={"chunks": chunks}), verdicts, config)

    def _screen_retrieved(self, ctx: GuardContext, verdicts: list[Verdict], config: RunnableConfig) -> Screened:
        """The retrieval checks in two parts. First the ones that leave passages out (context_injection), on every
        retrieved passage; then the others (relevance) on the passages kept, the ones the model will see: a
        planted passage written to match the question must not vouch for the rest after it is dropped."""
        guards = self.guardrails.get("retrieval", ())
        filters = tuple(g for g in guards if removes_passages(g))
        if filters:
            verdicts += (filtered := self._check("retrieval", ctx, config, filters, part="filter"))
            blocked = _blocking(verdicts, retrieved=ctx.chunks)
            if blocked is not None:
                return Screened(verdicts=tuple(verdicts), retrieved=ctx.chunks, blocked=blocked)
            kept = kept_chunks(ctx.chunks, filtered)
            if ctx.chunks and not kept:
                return Screened(verdicts=tuple(verdicts), retrieved=(), blocked=_quarantined(verdicts))
            ctx = ctx.model_copy(update={"chunks": kept})
        verdicts += self._check("retrieval", ctx, config, tuple(g for g in guards if not removes_passages(g)), part="judge")
        return Screened(verdicts=tuple(verdicts), retrieved=ctx.chunks, blocked=_blocking(verdicts, retrieved=ctx.chunks))

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
        emit(
            TraceEvent(
                step="context",
                name="context_budget",
                outcome="cut" if prompt.cut else "ok",
                reason=(f"prompt fitted to num_ctx={self.config.num_ctx}: " + "; ".join(prompt.cut))
                if prompt.cut
                else f"{len(prompt.chunks)} chunks fit in ~{prompt.used_tokens}/{prompt.budget_tokens} tokens",
                details={"budget_tokens": prompt.budget_tokens, "used_tokens": prompt.used_tokens, "cut": list(prompt.cut)},
            ),
            config,
        )
        kept = list(prompt.chunks)
        checks: list[OutputCheck] = []  # the ladder records every attempt's output verdicts here
        inp = {
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
            return self._extractive(request, kept, verdicts, config, why=exc).model_copy(update={"output_checks": tuple(checks)})
        return self._answered(generated, kept, verdicts).model_copy(update={"output_checks": tuple(checks)})

    def _retrieve(self, request: QARequest, config: RunnableConfig) -> list[Chunk]:
        # A follow-up ("and on Windows?") is searched together with the previous user turn.
        previous = next((t.content for t in reversed(request.history) if t.role == "user"), "")
        query = f"{previous}\n{request.question}".strip()
        started = time.perf_counter()
        chunks = list(self.retrieve(query, self.config.top_k))
        emit(
            TraceEvent(
                step="retrieval",
                name="search",
                outcome="ok",
                reason=f"{len(chunks)} chunks retrieved (top_k={self.config.top_k})",
                evidence=tuple(
                    f"{c.source} ({c.score:.2f})"
                    if c.lexical is None
                    else f"{c.source} (similarity {c.score:.2f}, bm25 {c.lexical:.2f})"
                    for c in chunks
                ),
                duration_ms=(time.perf_counter() - started) * 1000,
                details={
                    "query": query[:500],
                    "k": self.config.top_k,
                    "chunk_ids": [c.chunk_id for c in chunks],
                    "scores": [round(c.score, 4) for c in chunks],
                },
            ),
            config,
        )
        return chunks

    def _answered(self, generated: Generated, chunks: list[Chunk], verdicts: list[Verdict]) -> QAResult:
        by_label = {c.label: c for c in generated.chunks}  # what the model was shown, not the request's whole prompt
        cited = [by_label[label] for label in dict.fromkeys(generated.answer.citations) if label in by_label]
        grounding = next((v.score for v in generated.verdicts if v.name == "grounding" and v.score is not None), 1.0)
        retrieval = max((c.score for c in cited), default=0.0)
        first_rung = generated.rung.name == self.ladder.rungs[0].name
        return QAResult(
            status="answered" if first_rung else "fallback",
            answer=generated.answer.answer,
            citations=tuple(_citation(c) for c in cited),
            verdicts=tuple(verdicts) + generated.verdicts,
            rung=generated.rung.name,
            model=generated.rung.model,
            backend=generated.rung.backend,
            confidence=round(min(1.0, retrieval) * min(1.0, grounding), 3),
            retrieved=tuple(chunks),
            message=None if first_rung else f"Answered by the fallback rung '{generated.rung.name}' ({generated.rung.model}).",
        )

    def _extract(self, request: QARequest, chunks: list[Chunk], config: RunnableConfig) -> Extract | None:
        """The best-matching sentences, each screened first by the output checks that judge quotes too
        (`screens_quotes`: answer_injection): the model's answers may have been rejected for passing on what a
        planted sentence says, and quoting that sentence would pass it on all the same. What was left out, and
        why, goes to the trace."""
        screens = [g for g in self.ladder.output_guardrails if getattr(g, "screens_quotes", False)]
        left_out: list[Verdict] = []

        def keep(sentence: str, chunk: Chunk) -> bool:
            ctx = GuardContext(question=request.question, chunks=(chunk,), answer=sentence, citations=(chunk.label,))
            fired = [v for v in (run_guardrail(g, ctx) for g in screens) if v.fired]
            left_out.extend(fired)
            return not fired

        extract = extract_answer(request.question, chunks, keep=keep if screens else None)
        if left_out:
            emit(
                TraceEvent(
                    step="fallback",
                    name="quote_screen",
                    outcome="fired",
                    reason=f"{len(left_out)} sentence(s) not quoted: {left_out[0].name}: {left_out[0].reason[:200]}",
                    evidence=tuple(e for v in left_out for e in v.evidence)[:10],
                ),
                config,
            )
        return extract

    def _extractive(
        self, request: QARequest, chunks: list[Chunk], verdicts: list[Verdict], config: RunnableConfig, *, why: BaseException
    ) -> QAResult:
        extract = self._extract(request, chunks, config)
        lang = lang_of(request.question)
        if extract is None:
            emit(
                TraceEvent(
                    step="fallback",
                    name="cannot_answer",
                    outcome="fallback",
                    reason="no sentence of the retrieved passages matches the question",
                ),
                config,
            )
            return QAResult(
                status="fallback",
                answer=None,
                verdicts=tuple(verdicts),
                rung="cannot_answer",
                retrieved=tuple(chunks),
                message=CANNOT_ANSWER[lang] + _left_out(verdicts, lang),
            )
        emit(
            TraceEvent(
                step="fallback",
                name="extractive",
                outcome="fallback",
                reason=f"quoted {len(extract.sentences)} best-matching sentence(s) (overlap {extract.overlap:.2f})",
                evidence=tuple(s for s, _ in extract.sentences),
            ),
            config,
        )
        return QAResult(
            status="fallback",
            answer=extract.text,
            citations=tuple(_citation(c) for c in extract.chunks),
            verdicts=tuple(verdicts),
            rung="extractive",
            confidence=round(min(1.0, extract.overlap) * max(c.score for c in extract.chunks) * 0.5, 3),
            retrieved=tuple(chunks),
            message=no_model_answer(why, lang) + QUOTED[lang] + _left_out(verdicts, lang),
        )


def _citation(chunk: Chunk) -> Citation:
    return Citation(source=chunk.source, chunk_id=chunk.chunk_id, label=chunk.label, text=chunk.text, score=chunk.score)


def _left_out(verdicts: Sequence[Verdict], lang: str) -> str:
    """The note that passages were quarantined, for a fallback message (they may be where the answer was), or ""."""
    dropped = dropped_chunks(verdicts)
    return LEFT_OUT[lang].format(n=len(dropped)) if dropped else ""


def _quarantined(verdicts: list[Verdict]) -> QAResult:
    return QAResult(
        status="refused",
        verdicts=tuple(verdicts),
        message="Every matching passage was quarantined as suspected injection; nothing safe to answer from.",
    )


def _blocking(verdicts: list[Verdict], *, retrieved: Sequence[Chunk] = ()) -> QAResult | None:
    """The result that ends the request at this stage (guardrails.blocking_verdict decides which), or None."""
    stop = blocking_verdict(verdicts)
    if stop is None:
        return None
    if stop.action == "refuse":
        return QAResult(status="refused", verdicts=tuple(verdicts), message=stop.reason, retrieved=tuple(retrieved))
    return QAResult(
        status="clarify",
        verdicts=tuple(verdicts),
        needs_clarification=True,
        clarification=Clarification(
            missing=tuple(stop.details.get("missing", ())), questions=tuple(stop.details.get("questions", ()))
        ),
        message=stop.reason,
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
