"""Everything before the model: the input guardrails, retrieval, the retrieval guardrails (passages left out
first, then the judges on the passages kept). Each check's verdict and what it saw, and the search itself, go to
the trace. The QA chain goes on from here; the lab's retrieval-only scoring stops here."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from langchain_core.runnables import RunnableConfig

from chains.outcomes import blocking, quarantined
from chains.schemas import QARequest, QAResult
from chains.signals import SignalProvider, signal_names, with_signals
from chains.trace import GuardInputs, Part, TraceEvent, emit, record_inputs, verdict_event
from guardrails import Chunk, GuardContext, Guardrail, Stage, Verdict, kept_chunks, removes_passages, run_guardrail

Retriever = Callable[[str, int], Sequence[Chunk]]


def gates_stage(guardrail: Guardrail) -> bool:
    """Whether a refusal by `guardrail` ends its stage (`gates_stage: ClassVar[bool] = True`, input_size): the
    text it refused is not handed to the other checks, which may scan it at length."""
    return bool(getattr(guardrail, "gates_stage", False))


def _skipped(stage: Stage, name: str, refused: Verdict) -> TraceEvent:
    return TraceEvent(
        step=stage,
        name=name,
        outcome="skipped",
        reason=f"not run: {refused.name} refused the question first ({refused.reason})",
        details={"skipped_after": refused.name},
    )


@dataclass(frozen=True)
class Checked:
    """What a stage's checks decided, and the context with the stage's signals when they were computed (None when
    a gate refused first, or no check ran)."""

    verdicts: list[Verdict]
    measured: GuardContext | None


@dataclass(frozen=True)
class Screened:
    """The request up to the model: every verdict so far, the passages that would be sent, and the result that
    ended the request (refused / clarify) or None when it would go on to the model."""

    verdicts: tuple[Verdict, ...]
    retrieved: tuple[Chunk, ...]
    blocked: QAResult | None


@dataclass(frozen=True)
class Screen:
    """The checks before the model, and the search they judge."""

    guardrails: Mapping[Stage, tuple[Guardrail, ...]]
    retrieve: Retriever
    top_k: int
    signals: SignalProvider | None = None  # model-backed measurements for the input and retrieval checks

    def check(
        self,
        stage: Stage,
        ctx: GuardContext,
        config: RunnableConfig,
        guards: tuple[Guardrail, ...] | None = None,
        *,
        part: Part = "whole",
        measured_ctx: GuardContext | None = None,
    ) -> Checked:
        """Run `guards` (default: all of the stage's) on `ctx` with the stage's signals, each verdict an event,
        and record what they saw (GuardInputs) for the policy lab. The gates (input_size) run first, without
        signals: once one refuses, the other checks and the signals are skipped, each skip an event saying why.
        `measured_ctx`: the same context with this stage's signals already computed (an earlier part of the stage
        on the same passages), used as is instead of asking the provider again."""
        guards = self.guardrails.get(stage, ()) if guards is None else guards
        gates = tuple(g for g in guards if gates_stage(g))
        verdicts = self._run(gates, ctx, config)
        refused = next((v for v in verdicts if v.fired and v.action == "refuse"), None)
        rest = tuple(g for g in guards if not gates_stage(g))
        if refused is not None:
            for g in rest:
                emit(_skipped(stage, g.name, refused), config)
            measured = False  # no signal computed: a replay decides the skipped checks that read one as unknown
        else:
            if measured_ctx is not None:
                ctx = measured_ctx
            elif guards:
                ctx = with_signals(self.signals, stage, ctx)
            verdicts += self._run(rest, ctx, config)
            measured = bool(guards)
        offered = signal_names(self.signals, stage, ctx) if guards else ()
        inputs = GuardInputs(
            stage=stage, part=part, context=ctx, verdicts=tuple(verdicts), measured=measured, signals_offered=offered
        )
        record_inputs(inputs, config)
        return Checked(verdicts=verdicts, measured=ctx if measured else None)

    @staticmethod
    def _run(guards: tuple[Guardrail, ...], ctx: GuardContext, config: RunnableConfig) -> list[Verdict]:
        verdicts = []
        for g in guards:  # each verdict recorded as its check ends: its event time is when it finished
            verdicts.append(run_guardrail(g, ctx))
            emit(verdict_event(verdicts[-1]), config)
        return verdicts

    def screen(self, request: QARequest, config: RunnableConfig) -> Screened:
        """Input guardrails, retrieval, retrieval guardrails, dropped chunks."""
        verdicts: list[Verdict] = []
        ctx = GuardContext(question=request.question, history=request.history)
        verdicts += self.check("input", ctx, config).verdicts
        blocked = blocking(verdicts)
        if blocked is not None:
            return Screened(verdicts=tuple(verdicts), retrieved=(), blocked=blocked)
        chunks = tuple(self.search(request, config))
        return self.screen_retrieved(ctx.model_copy(update={"chunks": chunks}), verdicts, config)

    def screen_retrieved(self, ctx: GuardContext, verdicts: list[Verdict], config: RunnableConfig) -> Screened:
        """The retrieval checks in two parts. First the ones that leave passages out (context_injection), on every
        retrieved passage; then the others (relevance) on the passages kept, the ones the model will see: a
        planted passage written to match the question must not vouch for the rest after it is dropped."""
        guards = self.guardrails.get("retrieval", ())
        filters = tuple(g for g in guards if removes_passages(g))
        measured: GuardContext | None = None
        if filters:
            checked = self.check("retrieval", ctx, config, filters, part="filter")
            filtered, measured = checked.verdicts, checked.measured
            verdicts += filtered
            blocked = blocking(verdicts, retrieved=ctx.chunks)
            if blocked is not None:
                return Screened(verdicts=tuple(verdicts), retrieved=ctx.chunks, blocked=blocked)
            kept = kept_chunks(ctx.chunks, filtered)
            if ctx.chunks and not kept:
                return Screened(verdicts=tuple(verdicts), retrieved=(), blocked=quarantined(verdicts))
            if len(kept) != len(ctx.chunks):  # a passage left out: the judges' signals are measured on the rest
                measured = None
            ctx = ctx.model_copy(update={"chunks": kept})
        judges = tuple(g for g in guards if not removes_passages(g))
        verdicts += self.check("retrieval", ctx, config, judges, part="judge", measured_ctx=measured).verdicts
        return Screened(verdicts=tuple(verdicts), retrieved=ctx.chunks, blocked=blocking(verdicts, retrieved=ctx.chunks))

    def search(self, request: QARequest, config: RunnableConfig) -> list[Chunk]:
        """The retrieved passages, the search an event. A follow-up ("and on Windows?") is searched together
        with the previous user turn."""
        previous = next((t.content for t in reversed(request.history) if t.role == "user"), "")
        query = f"{previous}\n{request.question}".strip()
        started = time.perf_counter()
        chunks = list(self.retrieve(query, self.top_k))
        emit(
            TraceEvent(
                step="retrieval",
                name="search",
                outcome="ok",
                reason=f"{len(chunks)} chunks retrieved (top_k={self.top_k})",
                evidence=tuple(
                    f"{c.source} ({c.score:.2f})"
                    if c.lexical is None
                    else f"{c.source} (similarity {c.score:.2f}, bm25 {c.lexical:.2f})"
                    for c in chunks
                ),
                duration_ms=(time.perf_counter() - started) * 1000,
                details={
                    "query": query[:500],
                    "k": self.top_k,
                    "chunk_ids": [c.chunk_id for c in chunks],
                    "scores": [round(c.score, 4) for c in chunks],
                },
            ),
            config,
        )
        return chunks
