"""The guardrails on their own, exactly as ask() runs them and with nothing stored: the input checks (screen), input
and retrieval checks (screen_retrieval), the relevance check and what it sees, and the output checks of an answer
(the lab, calibration and the raw mode score the checks this way, without model calls)."""

from __future__ import annotations

from collections.abc import Sequence

from app.contract import AskOptions
from app.service_options import RequestOptions
from chains import GenerationLadder, QARequest, Screened, TraceCollector, screen_qa, with_signals
from chains.screening import Screen
from guardrails import Chunk, GuardContext, Turn, Verdict, kept_chunks, removes_passages, run_guardrail
from guardrails.relevance import RelevanceGuardrail


class Screening(RequestOptions):
    """A request's guardrail stages run alone: no model call, no trace."""

    def screen(self, question: str, *, history: Sequence[Turn] = (), options: AskOptions | None = None) -> tuple[Verdict, ...]:
        """The input guardrails' verdicts for a question, exactly as ask() would decide them (no model,
        no retrieval, nothing stored): the same stage code, so a question input_size refuses is not handed to the
        other checks nor to the signals (only the gate's verdict is returned; a 200 KB question took 98 s in them)."""
        settings, policy = self.effective(options)
        signals = self._parts.request_signals(settings, policy, None)
        screen = Screen(guardrails=self._parts.guardrails(policy), retrieve=_no_retrieval, top_k=0, signals=signals)
        ctx = GuardContext(question=question, history=tuple(history))
        return tuple(screen.check("input", ctx, {"callbacks": [TraceCollector()]}).verdicts)

    def screen_retrieval(self, question: str, *, history: Sequence[Turn] = (), options: AskOptions | None = None) -> Screened:
        """Input guardrails, retrieval and retrieval guardrails exactly as ask() runs them, and nothing after:
        no model, nothing stored. `blocked` is the refusal or clarification ask() would return, or None when
        the question would reach the model (the lab scores relevance this way, without model calls)."""
        settings, policy = self.effective(options)
        ladder = GenerationLadder(rungs=(), output_guardrails=())
        signals = self._parts.request_signals(settings, policy, None)
        pipeline = self._runner.pipeline(settings, self._parts.guardrails(policy), ladder, signals=signals)
        return screen_qa(pipeline, QARequest(question=question, history=tuple(history)))

    def relevance(self, question: str, *, options: AskOptions | None = None) -> Verdict:
        """The relevance guardrail's verdict for `question` on its own: retrieval, the retrieval-stage signals
        and that one check, whatever else the policy enables."""
        _, policy = self.effective(options)
        guard = RelevanceGuardrail(**policy.params("relevance"))
        return run_guardrail(guard, self.retrieval_context(question, options=options))

    def retrieval_context(self, question: str, *, options: AskOptions | None = None) -> GuardContext:
        """What the judging retrieval guardrails (relevance) see for `question` asked on its own: the retrieved
        passages the policy's passage-removing checks (context_injection) keep, as ask() judges them, and the
        retrieval-stage signals (calibration sweeps relevance over these, as the policy lab does over traces)."""
        settings, policy = self.effective(options)
        chunks = tuple(self._parts.searcher(settings)(question, settings.top_k))
        ctx = with_signals(self._parts.signals(), "retrieval", GuardContext(question=question, chunks=chunks))
        filters = [g for g in self._parts.guardrails(policy)["retrieval"] if removes_passages(g)]
        if not filters:
            return ctx
        return ctx.model_copy(update={"chunks": kept_chunks(chunks, [run_guardrail(g, ctx) for g in filters])})

    def check_answer(
        self,
        question: str,
        answer: str,
        chunks: Sequence[Chunk],
        *,
        citations: Sequence[str] = (),
        options: AskOptions | None = None,
    ) -> tuple[Verdict, ...]:
        """The output guardrails' verdicts for `answer` to `question` drawn from `chunks`, with their signals,
        as the generation ladder decides them after a model reply (the lab scores grounding this way)."""
        _, policy = self.effective(options)
        ctx = GuardContext(question=question, chunks=tuple(chunks), answer=answer, citations=tuple(citations))
        ctx = with_signals(self._parts.signals().for_policy(policy), "output", ctx)
        return tuple(run_guardrail(g, ctx) for g in self._parts.guardrails(policy)["output"])


def _no_retrieval(query: str, k: int) -> list[Chunk]:
    raise AssertionError("screen() runs the input checks only: nothing is retrieved")
