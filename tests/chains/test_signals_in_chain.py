"""Each stage's guardrails see the signals the provider computed for that stage, and only those stages ask."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from chains import GenerationLadder, LadderPolicy, ModelRung, QAPipeline, QARequest, TraceCollector, run_qa
from guardrails import GuardContext, Signal, Stage, Verdict
from tests.chains.conftest import DOCS, NO_WAIT
from tests.fakes import FixedRetriever, scripted

GOOD = json.dumps({"answer": "Ollama listens on port 11434 by default.", "citations": ["S1"]})


@dataclass(frozen=True)
class SeesSignals:
    """Records the signal names its context carried, in its verdict."""

    name: ClassVar[str] = "sees"
    stage: Stage = "input"
    fail_mode: str = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        return Verdict(name=self.name, stage=self.stage, fired=False, reason="looked", details={"seen": sorted(ctx.signals)})


def test_every_stage_gets_its_own_signals():
    asked: list[Stage] = []

    def provider(stage: Stage, ctx: GuardContext) -> dict[str, Signal]:
        asked.append(stage)
        return {f"{stage}_signal": Signal(name=f"{stage}_signal", score=1.0)}

    guards = {s: (SeesSignals(stage=s),) for s in ("input", "retrieval", "output")}
    ladder = GenerationLadder(
        rungs=(ModelRung(name="primary", model="m", backend="ollama", llm=scripted(GOOD, model="m")),),
        output_guardrails=guards["output"],
        policy=LadderPolicy(retries=0, reasks=0, backoff=NO_WAIT),
        signals=provider,
    )
    pipe = QAPipeline(
        guardrails={"input": guards["input"], "retrieval": guards["retrieval"]},
        retrieve=FixedRetriever(DOCS),
        ladder=ladder,
        signals=provider,
    )
    result = run_qa(pipe, QARequest(question="Which port does Ollama listen on by default?"))
    assert result.status == "answered"
    seen = {v.stage: v.details["seen"] for v in result.verdicts}
    assert seen == {"input": ["input_signal"], "retrieval": ["retrieval_signal"], "output": ["output_signal"]}
    assert asked == ["input", "retrieval", "output"]


def test_a_stage_without_guardrails_computes_no_signals():
    asked: list[Stage] = []

    def provider(stage: Stage, ctx: GuardContext) -> dict[str, Signal]:
        asked.append(stage)
        return {}

    ladder = GenerationLadder(
        rungs=(ModelRung(name="primary", model="m", backend="ollama", llm=scripted(GOOD, model="m")),),
        output_guardrails=(),
        policy=LadderPolicy(retries=0, reasks=0, backoff=NO_WAIT),
        signals=provider,
    )
    pipe = QAPipeline(guardrails={}, retrieve=FixedRetriever(DOCS), ladder=ladder, signals=provider)
    assert run_qa(pipe, QARequest(question="Which port?")).status == "answered"
    assert asked == []


def test_the_collector_keeps_what_each_stage_saw_with_its_signals_and_verdicts():
    """What the policy lab replays: per stage, the context the guardrails saw (signals included) and their verdicts;
    a stage without guardrails is kept too, marked as not measured (its signals were never computed)."""

    def provider(stage: Stage, ctx: GuardContext) -> dict[str, Signal]:
        return {f"{stage}_signal": Signal(name=f"{stage}_signal", score=0.25, evidence=("nearest: x (0.25)",))}

    guards = {s: (SeesSignals(stage=s),) for s in ("retrieval", "output")}
    ladder = GenerationLadder(
        rungs=(ModelRung(name="primary", model="m", backend="ollama", llm=scripted(GOOD, model="m")),),
        output_guardrails=guards["output"],
        policy=LadderPolicy(retries=0, reasks=0, backoff=NO_WAIT),
        signals=provider,
    )
    pipe = QAPipeline(
        guardrails={"retrieval": guards["retrieval"]}, retrieve=FixedRetriever(DOCS), ladder=ladder, signals=provider
    )
    collector = TraceCollector()
    run_qa(pipe, QARequest(question="Which port does Ollama listen on by default?"), collector=collector)
    kept = {c.stage: c for c in collector.inputs}
    assert [c.stage for c in collector.inputs] == ["input", "retrieval", "output"]
    assert not kept["input"].measured and kept["input"].context.signals == {} and kept["input"].verdicts == ()
    assert kept["retrieval"].measured and kept["retrieval"].context.chunks == tuple(DOCS)
    assert kept["retrieval"].context.signals["retrieval_signal"].evidence == ("nearest: x (0.25)",)
    assert kept["output"].context.answer == "Ollama listens on port 11434 by default." and kept["output"].context.citations == (
        "S1",
    )
    assert kept["output"].rung == "primary" and kept["output"].attempt == 1
    assert [v.name for v in kept["output"].verdicts] == ["sees"] and "output_signal" in kept["output"].context.signals
