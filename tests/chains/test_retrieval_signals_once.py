"""The retrieval stage's signals are computed once per request when the passage-removing checks (context_injection)
keep every passage: the judges (relevance) then see the very context the signals were measured on, so measuring it
again (question_coverage, ~0.1 ms) bought nothing. When a passage is left out, the judges' signals are measured
again on the passages kept, as before."""

from __future__ import annotations

from chains import GenerationLadder, QAPipeline, QARequest, TraceCollector, screen_qa
from guardrails import Chunk, GuardContext, Signal, Stage, build_guardrails, load_policy
from tests.chains.conftest import DOCS
from tests.fakes import FixedRetriever
from tests.planted import PLANTED, Q


class CountingProvider:
    """A signal provider that records every retrieval-stage request and the passages it was asked about."""

    def __init__(self) -> None:
        self.retrieval_asks: list[tuple[str, ...]] = []

    def __call__(self, stage: Stage, ctx: GuardContext) -> dict[str, Signal]:
        if stage != "retrieval":
            return {}
        self.retrieval_asks.append(tuple(c.chunk_id for c in ctx.chunks))
        return {"question_coverage": Signal(name="question_coverage", score=1.0, evidence=(f"{len(ctx.chunks)} passages",))}


def screened(chunks: list[Chunk], provider: CountingProvider) -> tuple[object, TraceCollector]:
    guards = build_guardrails(load_policy())
    pipe = QAPipeline(
        guardrails={"input": guards["input"], "retrieval": guards["retrieval"]},
        retrieve=FixedRetriever(chunks),
        ladder=GenerationLadder(rungs=(), output_guardrails=()),
        signals=provider,
    )
    collector = TraceCollector()
    return screen_qa(pipe, QARequest(question=Q), collector=collector), collector


def test_signals_are_measured_once_when_every_passage_is_kept():
    provider = CountingProvider()
    result, collector = screened(list(DOCS), provider)
    assert provider.retrieval_asks == [tuple(c.chunk_id for c in DOCS)]
    relevance = next(v for v in result.verdicts if v.name == "relevance")
    assert not relevance.fired
    # both parts of the stage are recorded with the signal, for the policy lab's replay
    parts = [(i.part, sorted(i.context.signals), len(i.context.chunks)) for i in collector.inputs if i.stage == "retrieval"]
    assert parts == [("filter", ["question_coverage"], len(DOCS)), ("judge", ["question_coverage"], len(DOCS))]


def test_signals_are_measured_again_on_the_passages_kept_when_one_is_left_out():
    provider = CountingProvider()
    result, collector = screened([PLANTED, *DOCS], provider)
    assert next(v for v in result.verdicts if v.name == "context_injection").details["dropped"] == ["p1"]
    assert provider.retrieval_asks == [("p1", *(c.chunk_id for c in DOCS)), tuple(c.chunk_id for c in DOCS)]
    judge = next(i for i in collector.inputs if i.stage == "retrieval" and i.part == "judge")
    assert judge.context.signals["question_coverage"].evidence == (f"{len(DOCS)} passages",)
