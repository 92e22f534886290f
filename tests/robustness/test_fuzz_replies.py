"""Fuzzed model replies (hypothesis): 10,000 through the real reply reading (thinking, truncation), parse ladder and
output guardrails, and 500 more through the whole QA chain (re-ask, extractive fallback): zero unhandled
exceptions, always a typed result."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableConfig, RunnableLambda

from chains import (
    GenerationLadder,
    LadderPolicy,
    ModelRung,
    OutputRejected,
    Parsed,
    QAConfig,
    QAPipeline,
    QARequest,
    TraceCollector,
    run_qa,
)
from chains.reading import read_reply
from chains.rung import ModelReply
from guardrails import Chunk, GuardContext, Verdict, build_guardrails, load_policy, run_guardrail

pytestmark = pytest.mark.robustness
TYPED = {"answered", "clarify", "refused", "fallback"}
QUESTION = "Which port does Ollama listen on by default?"
CHUNKS = [
    Chunk(chunk_id="c1", source="port.md", text="Ollama listens on port 11434 by default.", score=0.9),
    Chunk(chunk_id="c2", source="host.md", text="Set OLLAMA_HOST to change the address Ollama binds to.", score=0.6),
]


class FuzzModel(BaseChatModel):
    """Answers every call with the same fuzzed reply: content, separate reasoning and Ollama's metadata."""

    reply: dict[str, Any] = {}  # noqa: RUF012  # pydantic copies field defaults per instance

    @property
    def _llm_type(self) -> str:
        return "fuzz"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = AIMessage(
            self.reply["content"],
            additional_kwargs={"reasoning_content": self.reply["reasoning"]} if self.reply["reasoning"] else {},
            response_metadata=self.reply["metadata"],
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12
)
answers = st.fixed_dictionaries(
    {
        "answer": st.text(max_size=300) | st.integers() | st.none() | st.sampled_from(["Ollama listens on port 11434.", ""]),
        "citations": st.lists(st.sampled_from(["S1", "S2", "S9", "", "c1"]) | st.text(max_size=5), max_size=6)
        | st.text(max_size=5),
    },
    optional={"confidence": st.floats(), "extra": json_values},
)


@st.composite
def replies(draw: st.DrawFn) -> dict[str, Any]:
    body = draw(
        st.one_of(
            st.text(max_size=400),
            json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
            answers.map(lambda v: json.dumps(v, ensure_ascii=False)),
            st.just(json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})),
        )
    )
    if draw(st.booleans()):  # cut off somewhere, as a reply at num_predict would be
        body = body[: draw(st.integers(0, max(0, len(body))))]
    wrap = draw(st.sampled_from(["none", "fence", "prose", "think", "unclosed-think", "nested-braces"]))
    content = {
        "none": body,
        "fence": f"```json\n{body}\n```",
        "prose": f"Sure! {body} Hope this helps.",
        "think": f"<think>{draw(st.text(max_size=80))}</think>{body}",
        "unclosed-think": f"<think>{body}",
        "nested-braces": "{" * draw(st.integers(1, 60)) + body + "}" * draw(st.integers(0, 60)),
    }[wrap]
    metadata: dict[str, Any] = {}
    if draw(st.booleans()):
        metadata["done_reason"] = draw(st.sampled_from(["stop", "length", "load", None]))
    if draw(st.booleans()):
        metadata["eval_count"] = draw(st.integers(-5, 600) | st.none())
        metadata["prompt_eval_count"] = draw(st.integers(0, 5000) | st.none() | st.text(max_size=3))
    return {"content": content, "reasoning": draw(st.text(max_size=60)), "metadata": metadata}


def pipeline(model: FuzzModel) -> QAPipeline:
    guards = build_guardrails(load_policy())
    rung = ModelRung(name="primary", model="fuzz", backend="ollama", llm=model)
    ladder = GenerationLadder(
        rungs=(rung,), output_guardrails=guards["output"], policy=LadderPolicy(retries=0, reasks=1, grounding_reasks=1)
    )
    return QAPipeline(
        guardrails={"input": guards["input"], "retrieval": guards["retrieval"], "output": ()},
        retrieve=lambda _query, _k: list(CHUNKS),
        ladder=ladder,
        config=QAConfig(top_k=2, num_ctx=2048, num_predict=256, latency_budget_s=60),
    )


MODEL = FuzzModel()
PIPELINE = pipeline(MODEL)
GUARDS = build_guardrails(load_policy())["output"]
RUNG = ModelRung(name="primary", model="fuzz", backend="ollama", llm=MODEL)
SEEN: dict[str, int] = {}
READ: dict[str, int] = {}


def read_and_judge(reply: dict[str, Any], config: RunnableConfig) -> Parsed | OutputRejected:
    """One attempt's work after the model call, as the ladder does it: read the reply, then the output checks."""
    labelled = [c.model_copy(update={"label": f"S{i}"}) for i, c in enumerate(CHUNKS, 1)]
    inp = {"num_ctx": 2048, "num_predict": 256}
    try:
        parsed = read_reply(ModelReply(reply["content"], reply["reasoning"], reply["metadata"]), inp, 1, 0, RUNG, config)
    except OutputRejected as exc:
        return exc
    ctx = GuardContext(
        question=QUESTION, chunks=tuple(labelled), answer=parsed.answer.answer, citations=tuple(parsed.answer.citations)
    )
    verdicts: list[Verdict] = [run_guardrail(g, ctx) for g in GUARDS]
    assert all(isinstance(v, Verdict) and not v.errored for v in verdicts), verdicts
    return parsed


ATTEMPT = RunnableLambda(read_and_judge)


@settings(max_examples=10_000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(reply=replies())
def test_ten_thousand_replies_through_the_parse_ladder_and_guardrails_are_typed(reply: dict[str, Any]) -> None:
    collector = TraceCollector()
    outcome = ATTEMPT.invoke(reply, {"callbacks": [collector]})
    assert isinstance(outcome, Parsed | OutputRejected)
    assert collector.events  # every attempt leaves a trace (parse_ladder passed or fired, at least)
    kind = type(outcome).__name__
    READ[kind] = READ.get(kind, 0) + 1


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(reply=replies())
def test_any_model_reply_ends_in_a_typed_result(reply: dict[str, Any]) -> None:
    MODEL.reply = reply
    result = run_qa(PIPELINE, QARequest(question=QUESTION))
    assert result.status in TYPED
    assert result.events and result.events[-1].name == "result"
    if result.status == "answered":
        assert result.answer and result.rung == "primary"
        assert {c.chunk_id for c in result.citations} <= {c.chunk_id for c in CHUNKS}
    SEEN[result.rung or result.status] = SEEN.get(result.rung or result.status, 0) + 1


def test_the_fuzz_reached_every_outcome() -> None:
    """Run after the fuzz (same module, in order): the replies were varied enough to reach each ending."""
    if not SEEN or not READ:
        pytest.skip("run together with the fuzz tests")
    assert {"primary", "extractive"} <= set(SEEN), SEEN
    assert {"Parsed", "OutputParseError", "ThinkingOnly"} <= set(READ), READ
