"""The generation ladder: per model, attempts with transport retries, re-asks with the error fed back, then
the next model rung:

    per model:  attempt = budget check | llm with format=schema, retried on transport errors (tenacity)
                          | parse ladder | output guardrails
                attempt, then re-ask with the rejection as feedback, up to n times   (first rejection raised)
    models:     rung[0], then rung[1:] on a narrow exception tuple                  (first failure raised)

The re-ask and rung steps follow LangChain's with_fallbacks semantics (exception_key: the latest failure
is handed to the next try; when all fail the first one is raised) as two plain loops, and the transport
retry is tenacity's Retrying, the engine under with_retry: the Runnable wrappers cost a chain run with its
callback manager per layer (~0.3 ms each, measured) and did nothing on the happy path but that.
Exception tuples are narrow on purpose: a guardrail bug or an exhausted test fake must propagate, not be
swallowed by a fallback. Entering a rung is chains.rung_setup, reading a reply (thinking, truncation, parse
ladder) chains.reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from chains.circuit import Budget, model_call_limit
from chains.errors import (
    BudgetExceeded,
    Cancelled,
    CircuitOpen,
    ContextOverflow,
    OutputRejected,
    ReasksExhausted,
    UngroundedAnswer,
    rejection_feedback,
)
from chains.parsing import Parsed
from chains.prompts import reask_messages
from chains.reading import read_reply
from chains.replies import split_thinking
from chains.rung import ModelReply, ModelRung
from chains.rung_setup import fit, prepare, refitted
from chains.schemas import ModelAnswer, OutputCheck
from chains.signals import SignalProvider, signal_names, with_signals
from chains.trace import ATTEMPT_KEY, GuardInputs, TraceEvent, emit, record_inputs, verdict_event
from guardrails import Chunk, GuardContext, Guardrail, Verdict, run_guardrail


@dataclass(frozen=True)
class LadderPolicy:
    retries: int = 2
    reasks: int = 2
    grounding_reasks: int = 1
    transport_errors: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)
    # tenacity.wait_exponential_jitter arguments ("multiplier" replaces the deprecated "initial")
    backoff: dict[str, float] = field(default_factory=lambda: {"multiplier": 0.5, "max": 4.0, "jitter": 0.5})


@dataclass(frozen=True)
class Generated:
    answer: ModelAnswer
    rung: ModelRung
    parsed: Parsed
    attempt: int
    raw: str
    verdicts: tuple[Verdict, ...]
    chunks: tuple[Chunk, ...]  # the passages the answering attempt's prompt showed (fewer when refitted)


@dataclass(frozen=True)
class GenerationLadder:
    rungs: tuple[ModelRung, ...]
    output_guardrails: tuple[Guardrail, ...]
    policy: LadderPolicy = LadderPolicy()
    signals: SignalProvider | None = None  # model-backed measurements for the output checks

    def invoke(self, inp: dict[str, Any], config: RunnableConfig) -> Generated:
        """Input: {"messages", "schema", "chunks", "question", "budget"} (chains.recipe.AnswerPrompt), and optionally
        "checks": a list the ladder appends an OutputCheck to for every output verdict of every attempt (the
        request's record of what fired, whichever rung answers in the end); "num_ctx"/"num_predict" (to recognise
        a cut-off reply) and "refit": num_ctx -> AnswerPrompt (to send a smaller prompt to a model whose context
        is smaller). Output: Generated. Raises the first rung's failure when every rung failed."""
        if not self.rungs:
            raise ValueError("the generation ladder needs at least one model rung")
        handled: tuple[type[BaseException], ...] = (OutputRejected, ReasksExhausted, CircuitOpen, *self.policy.transport_errors)
        failures: list[BaseException] = []
        for index, rung in enumerate(self.rungs):
            try:
                return self._rung(rung, index, {**inp, "rung_error": failures[-1]} if failures else inp, config)
            except handled as exc:
                failures.append(exc)
        raise failures[0]

    # -- one model ------------------------------------------------------------------------------------
    def _rung(self, rung: ModelRung, index: int, inp: dict[str, Any], config: RunnableConfig) -> Generated:
        """The rung's first attempt, then its re-asks, each handed the latest rejection. Entering the rung (breaker,
        warm-up, the fallback event, the prompt fitted to the model's context) happens inside the first attempt."""
        rejections: list[OutputRejected] = []
        for _ in range(1 + self.policy.reasks):
            try:
                return self._attempt(rung, index, {**inp, "reject": rejections[-1]} if rejections else inp, config)
            except OutputRejected as exc:
                rejections.append(exc)
        raise rejections[0]

    def _enter(self, rung: ModelRung, index: int, inp: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        """Entering the rung: the input it answers from (the prompt refitted when the model's context is smaller)."""
        previous = inp.get("rung_error")
        if index > 0:
            emit(
                TraceEvent(
                    step="fallback",
                    name=f"rung:{rung.name}",
                    outcome="fallback",
                    reason=f"previous rung failed: {type(previous).__name__}: {str(previous)[:200]}"
                    if previous
                    else "previous rung failed",
                    model=rung.model,
                    details={"backend": rung.backend},
                ),
                config,
            )
        budget: Budget | None = inp.get("budget")
        if budget is not None:
            # Before the breaker: a half-open breaker makes its caller the one trial, and a question with no budget
            # left would hold that trial for the whole cool-down without ever calling the model.
            budget.check()
        prepare(rung, config, budget.remaining() if budget is not None else None)
        return fit(rung, {k: v for k, v in inp.items() if k != "rung_error"}, config)

    def _call_model(
        self,
        rung: ModelRung,
        messages: Sequence[BaseMessage],
        schema: dict[str, Any],
        budget: Budget,
        config: RunnableConfig,
        *,
        attempt: int = 1,
    ) -> ModelReply:
        failures = [0]
        # the attempt rides in the run's metadata, so the model_call event says which attempt it was
        tagged: RunnableConfig = {**config, "metadata": {**(config.get("metadata") or {}), ATTEMPT_KEY: attempt}}

        def should_retry(exc: BaseException) -> bool:
            # tenacity asks this after every failure, the last one too: the retry is announced in before_sleep.
            failures[0] += 1
            return isinstance(exc, self.policy.transport_errors)

        def before_sleep(state: RetryCallState) -> None:
            # A retry will happen after `upcoming_sleep`: no retry past the question's latency budget, and no back-off
            # slept out to its end only to find the budget spent (raises BudgetExceeded, or Cancelled).
            budget.check()
            if state.upcoming_sleep >= budget.remaining():
                raise BudgetExceeded(budget.seconds)
            exc = state.outcome.exception() if state.outcome is not None else None
            emit(
                TraceEvent(
                    step="generation",
                    name="transport_retry",
                    outcome="retry",
                    reason=f"{type(exc).__name__}: {str(exc)[:200]}",
                    attempt=attempt,
                    model=rung.model,
                ),
                config,
            )

        budget.check()  # before the first call; retries check it in before_sleep
        fmt: dict[str, Any] | str = schema if rung.schema_format else "json"
        retrying = Retrying(
            retry=retry_if_exception(should_retry),
            stop=stop_after_attempt(self.policy.retries + 1),
            wait=wait_exponential_jitter(**self.policy.backoff),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            # format= passed to invoke is what llm.bind(format=...) would pass on; a RunnableBinding built per call
            # cost ~0.09 ms of CPU per question (measured) for nothing else.
            with model_call_limit(budget):  # the transport ends the reply when the question's budget runs out
                message = retrying(rung.llm.invoke, list(messages), tagged, format=fmt)
        except self.policy.transport_errors:
            if rung.breaker is not None:
                rung.breaker.record_failure()
            raise
        except BudgetExceeded as exc:
            # A transport failure whose retry the budget cut short is still a failure of this model: without
            # counting it, a server that accepts connections and never answers (every call times out, every
            # question spends its whole budget) would never open the breaker.
            if failures[0] and not isinstance(exc, Cancelled) and rung.breaker is not None:
                rung.breaker.record_failure()
            raise
        if rung.breaker is not None:
            rung.breaker.record_success()
        content = message.content
        reasoning = message.additional_kwargs.get("reasoning_content")
        return ModelReply(
            content=content if isinstance(content, str) else str(content),
            reasoning=reasoning if isinstance(reasoning, str) else "",
            metadata=dict(getattr(message, "response_metadata", None) or {}),
        )

    def _attempt(self, rung: ModelRung, index: int, inp: dict[str, Any], config: RunnableConfig) -> Generated:
        reject: OutputRejected | None = inp.get("reject")
        if reject is not None and reject.rung != rung.name:  # a previous rung's rejection (see OutputRejected.rung)
            reject = None
        if reject is None:  # the rung's first attempt; its re-asks carry the entered view on the rejection
            inp = self._enter(rung, index, inp, config)
        view = (reject.view if reject is not None else None) or {k: inp[k] for k in ("messages", "schema", "chunks")}
        number = reject.attempt + 1 if reject else 1
        strikes = reject.grounding_strikes if reject else 0
        messages = view["messages"]
        if reject is not None:
            emit(
                TraceEvent(
                    step="generation",
                    name="reask",
                    outcome="reask",
                    reason=reject.feedback[:300],
                    attempt=number,
                    model=rung.model,
                    raw_output=reject.raw,
                ),
                config,
            )
            if isinstance(reject, ContextOverflow) and inp.get("refit"):  # a smaller prompt, not a longer one
                view = refitted(inp["refit"], reject.window, rung, config, why="the model's context filled up", attempt=number)
                messages = view["messages"]
            else:
                labels = [c.label for c in view["chunks"]]
                messages = reask_messages(messages, raw=reject.raw, feedback=reject.feedback, labels=labels)
        chunks: tuple[Chunk, ...] = tuple(view["chunks"])
        reply = self._call_model(rung, messages, view["schema"], inp["budget"], config, attempt=number)
        try:
            parsed = read_reply(reply, inp, number, strikes, rung, config)
        except OutputRejected as exc:
            exc.view, exc.rung = view, rung.name
            raise
        ctx = GuardContext(
            question=inp["question"], chunks=chunks, answer=parsed.answer.answer, citations=tuple(parsed.answer.citations)
        )
        ctx = with_signals(self.signals, "output", ctx) if self.output_guardrails else ctx
        checked = []
        for g in self.output_guardrails:  # each verdict recorded as its check ends: its event time is when it finished
            checked.append(run_guardrail(g, ctx))
            emit(verdict_event(checked[-1], attempt=number, model=rung.model, rung=rung.name), config)
        verdicts = tuple(checked)
        record_inputs(
            GuardInputs(
                stage="output",
                attempt=number,
                rung=rung.name,
                rung_index=index,
                model=rung.model,
                measured=bool(self.output_guardrails),
                signals_offered=signal_names(self.signals, "output", ctx) if self.output_guardrails else (),
                context=ctx,
                verdicts=verdicts,
            ),
            config,
        )
        sink = inp.get("checks")
        if isinstance(sink, list):
            sink.extend(OutputCheck(verdict=v, attempt=number, rung=rung.name, model=rung.model) for v in verdicts)
        blocking = [v for v in verdicts if v.fired]
        if blocking:
            error = UngroundedAnswer(
                rejection_feedback(blocking),
                raw=split_thinking(reply.content)[1],  # the answer shown back on the re-ask, not the reasoning before it
                verdicts=blocking,
                attempt=number,
                grounding_strikes=strikes + 1,
            )
            error.view, error.rung = view, rung.name
            if error.grounding_strikes > self.policy.grounding_reasks:
                raise ReasksExhausted(rung.name, error)
            raise error
        return Generated(
            answer=parsed.answer, rung=rung, parsed=parsed, attempt=number, raw=reply.content, verdicts=verdicts, chunks=chunks
        )
