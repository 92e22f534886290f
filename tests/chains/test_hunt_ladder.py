"""Bug hunt: the generation ladder's attempts, retries and rungs, on strict scripted fakes."""

from __future__ import annotations

import json
import time

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from chains import CircuitBreaker, GenerationLadder, LadderPolicy, ModelRung, QAConfig, QAPipeline, QARequest, run_qa
from tests.chains.conftest import DOCS, NO_WAIT
from tests.fakes import FixedRetriever, make_chunks, scripted

Q = "Which port does Ollama listen on by default?"
GOOD = json.dumps({"answer": "Ollama listens on port 11434 by default.", "citations": ["S1"]})
MADE_UP = json.dumps({"answer": "Ollama uses port 8080 and 4 GPUs.", "citations": ["S1"]})
DEFAULT = QAConfig()


def _pipeline(guardrails, *rungs: ModelRung, retries: int = 1, reasks: int = 2, backoff=NO_WAIT, config=DEFAULT):
    ladder = GenerationLadder(
        rungs=rungs,
        output_guardrails=guardrails["output"],
        policy=LadderPolicy(retries=retries, reasks=reasks, backoff=backoff),
    )
    return QAPipeline(
        guardrails={"input": guardrails["input"], "retrieval": guardrails["retrieval"]},
        retrieve=FixedRetriever(DOCS),
        ladder=ladder,
        config=config,
    )


def _rung(name: str, llm, **extra) -> ModelRung:
    return ModelRung(name=name, model=llm.model, backend="ollama", llm=llm, **extra)


def test_a_transport_retry_during_a_reask_names_the_reasks_attempt(guardrails):
    """The transport_retry event of attempt 2 said attempt 1 (its model_call events said 2)."""
    llm = scripted("The port is 11434, I believe.", ConnectionError("refused"), GOOD)
    result = run_qa(_pipeline(guardrails, _rung("primary", llm)), QARequest(question=Q))
    assert result.status == "answered" and llm.remaining == 0
    timeline = [(e.name, e.outcome, e.attempt) for e in result.events if e.step == "generation"]
    assert timeline == [
        ("model_call", "ok", 1),
        ("reask", "reask", 2),
        ("model_call", "error", 2),
        ("transport_retry", "retry", 2),
        ("model_call", "ok", 2),
    ]


def test_no_transport_retry_starts_after_the_back_off_outlasted_the_budget(guardrails):
    """The budget was checked before the back-off sleep, not after: a retry whose back-off outlasts what is left of
    the question's budget slept past it and then called the model anyway."""
    llm = scripted(ConnectionError("refused"), GOOD)
    slow_backoff = {"multiplier": 60.0, "max": 60.0, "jitter": 0.0}  # 60 s before the retry
    pipe = _pipeline(guardrails, _rung("primary", llm), backoff=slow_backoff, config=QAConfig(latency_budget_s=5.0))
    started = time.monotonic()
    result = run_qa(pipe, QARequest(question=Q))
    assert result.rung == "extractive" and llm.remaining == 1  # the retry was never made
    assert time.monotonic() - started < 5.0 + 5.0  # and its 60 s back-off not slept out (a busy machine's slack)
    ladder = next(e for e in result.events if e.name == "model_ladder")
    assert "BudgetExceeded" in ladder.reason
    assert "transport_retry" not in [e.name for e in result.events]  # no retry announced that did not happen


def test_a_rung_entered_with_no_budget_left_does_not_take_its_breakers_single_trial(guardrails):
    """The next rung is entered after the previous one failed at the budget's end; its breaker, half-open, made
    this question its one trial, and the question then stopped at the budget check without calling: for the
    whole cool-down every other question skipped that model, 'a trial call is under way', though none was."""
    now = [0.0]
    breaker = CircuitBreaker(name="ollama:fallback", failures=1, cooldown_s=30, clock=lambda: now[0])
    breaker.record_failure()
    now[0] = 31.0  # cooled down: the next caller is the trial

    def fails_at_the_budgets_end(*_args, **_kwargs):
        time.sleep(0.25)
        raise TimeoutError("timed out")  # the deadline transport ends the call when the budget runs out

    primary = scripted(model="qwen")
    object.__setattr__(primary, "_generate", fails_at_the_budgets_end)
    pipe = _pipeline(
        guardrails,
        _rung("primary", primary),
        _rung("fallback", scripted(model="llama"), breaker=breaker),
        retries=0,
        config=QAConfig(latency_budget_s=0.2),
    )
    result = run_qa(pipe, QARequest(question=Q))
    assert result.rung == "extractive"
    # the fallback model was never tried: its trial is still free for the next question
    pipe = _pipeline(guardrails, _rung("fallback", scripted(GOOD, model="llama"), breaker=breaker))
    second = run_qa(pipe, QARequest(question=Q))
    assert second.status == "answered" and second.rung == "fallback", [e.reason for e in second.events[-3:]]


def test_a_thinking_replys_reask_shows_the_rejected_answer_not_its_reasoning(guardrails):
    """An answer the output checks rejected was shown back as the whole reply, reasoning first, cut at 2,000
    characters: after a long <think> block the re-ask showed the model only its reasoning, never the answer
    that was rejected (a parse failure's re-ask already showed the content without the reasoning)."""
    reasoning = "<think>" + "Let me look at the sources carefully. " * 80 + "</think>\n"
    llm = scripted(reasoning + MADE_UP, GOOD)
    result = run_qa(_pipeline(guardrails, _rung("primary", llm)), QARequest(question=Q))
    assert result.status == "answered" and llm.remaining == 0
    shown = llm.calls[1]["messages"][-2].content
    assert shown == MADE_UP


def test_an_answer_cites_only_passages_its_rungs_prompt_showed(guardrails):
    """A rung whose model has a smaller context gets a refitted prompt with fewer passages; the answer's citations
    were then looked up among the passages of the full prompt, so with the citations check off (a session's policy)
    a label the model was never shown came back as a cited source, with that passage's text."""
    chunks = make_chunks(
        [
            ("ollama-install.md", "Ollama listens on port 11434 by default."),
            ("modelfile.md", "In a Modelfile the temperature parameter defaults to 0.8. " * 40),
        ]
    )
    cites_both = json.dumps({"answer": "Ollama listens on port 11434 by default.", "citations": ["S1", "S2"]})
    llm = scripted(cites_both)
    ladder = GenerationLadder(
        rungs=(_rung("small", llm, context_window=540),),
        output_guardrails=(),  # no output checks: the citations check switched off
        policy=LadderPolicy(retries=0, reasks=0, backoff=NO_WAIT),
    )
    pipe = QAPipeline(guardrails={}, retrieve=FixedRetriever(chunks), ladder=ladder, config=QAConfig(num_ctx=2048))
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "answered"
    shown = llm.calls[0]["messages"][-1].content
    assert "[S1]" in shown and "[S2]" not in shown  # the refitted prompt left S2 out
    assert [c.label for c in result.citations] == ["S1"]


def test_a_prompt_refitted_for_a_reask_names_the_reasks_attempt(guardrails):
    """A reply cut off because the model's real context is smaller (done_reason "length" below num_predict) is
    re-asked with the prompt fitted to that window; the context_window event of that re-ask said attempt 1."""
    replies = [
        ('{"citations": ["S1"], "ans', {"done_reason": "length", "eval_count": 20, "prompt_eval_count": 600}),
        (GOOD, {"done_reason": "stop", "eval_count": 30, "prompt_eval_count": 300}),
    ]
    llm = scripted(model="qwen")

    def generate(messages, stop=None, run_manager=None, **kwargs):
        llm.calls.append({"messages": list(messages), "kwargs": dict(kwargs)})
        if not replies:
            raise AssertionError("exhausted")
        text, info = replies.pop(0)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text), generation_info=info)])

    object.__setattr__(llm, "_generate", generate)
    result = run_qa(_pipeline(guardrails, _rung("primary", llm)), QARequest(question=Q))
    assert result.status == "answered" and not replies
    timeline = [(e.name, e.attempt) for e in result.events if e.name in ("model_call", "reask", "context_window")]
    assert timeline == [("model_call", 1), ("reask", 2), ("context_window", 2), ("model_call", 2)]
