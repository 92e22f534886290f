"""The model-judged clarify check's signal (`vagueness_judge`): one call to the answering Ollama model asking
whether the question can be answered as written (chains/judge.py holds the prompt, schema and parse).

App layer (signals). Built per request by the service, and only when the policy turns the check on
(`completeness.judge`): it is an extra model call per question, so it is off by default, and it never runs on
the embedded model (a 135M model cannot judge this; its "judgement" would be noise the trace presents as a
reason). When it cannot run or its reply does not parse, the signal carries `error` and the completeness
guardrail decides with its other checks and says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig

from chains import judge_clarity
from guardrails import GuardContext, Signal, Stage

NAME = "vagueness_judge"
EMBEDDED_REFUSAL = "the model-judged clarify check never runs on the embedded model (too small to judge)"


@dataclass(frozen=True)
class ClarityJudge:
    """Scorer: 1.0 when the model says the question cannot be answered as written, 0.0 when it can.

    `model` is None when the check is on but cannot run here (`unavailable` says why: the embedded backend);
    `config` carries the request's callbacks, so the call is counted in llm_calls and traced as an input-step
    model call."""

    model: BaseChatModel | None
    model_name: str = ""
    unavailable: str = EMBEDDED_REFUSAL
    config: RunnableConfig | None = None

    @property
    def name(self) -> str:
        return NAME

    @property
    def stage(self) -> Stage:
        return "input"

    def score(self, ctx: GuardContext) -> Signal | None:
        if self.model is None:
            return Signal(name=NAME, score=0.0, error=self.unavailable)
        started = time.perf_counter()
        judged = judge_clarity(self.model, ctx.question, ctx.history, config=self.config)
        ms = round((time.perf_counter() - started) * 1000, 1)
        missing = " ".join(judged.missing.split())[:160]
        unclear = not judged.answerable_as_written
        return Signal(
            name=NAME,
            score=1.0 if unclear else 0.0,
            evidence=(
                f"{self.model_name or 'the model'} judged it {'not ' if unclear else ''}answerable as written"
                + (f"; missing: {missing}" if unclear and missing else ""),
            ),
            details={
                "model": self.model_name,
                "answerable_as_written": judged.answerable_as_written,
                "missing": missing,
                "ms": ms,
            },
        )
