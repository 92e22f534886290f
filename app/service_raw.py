"""The model without the guardrails (the lab's raw mode, experiments): the prompt the guarded chain would send for a
question, and one raw call with it (no parse ladder, no retries)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from app.service_index import IndexAccess
from app.service_models import ModelAccess
from app.settings import Settings
from chains import AnswerPrompt, answer_prompt, short_error
from guardrails import Turn


@dataclass(frozen=True)
class RawAnswer:
    """One raw model call with the app's prompt: no guardrails, no parse ladder, no retries."""

    text: str | None
    prompt: AnswerPrompt
    model: str
    latency_ms: float
    error: str | None = None


class RawAccess(ModelAccess, IndexAccess):
    """The app's own prompt and one unguarded call to the answering model."""

    def answer_prompt(self, question: str, *, history: Sequence[Turn] = (), settings: Settings | None = None) -> AnswerPrompt:
        """What the guarded chain would send the model for this question (retrieval included); with `settings` (a
        session's, from `effective`), retrieved and capped as a request with those settings is."""
        s = settings or self.settings
        chunks = self.search(question) if settings is None else self._parts.searcher(s)(question, s.top_k)
        return answer_prompt(question, chunks, history=history, num_ctx=s.num_ctx, num_predict=s.num_predict)

    def raw_answer(self, question: str, *, with_schema: bool = False) -> RawAnswer:
        """One call to the answering model with the app's own prompt and retrieved passages, and nothing
        else: no guardrails, no parse ladder, no retries (`with_schema` adds the answer schema as format).
        A transport failure is returned in `error`, as a caller of the raw model would meet it."""
        self._require_open("raw_answer()")
        prompt = self.answer_prompt(question)
        ref = self.answering_model()
        llm = self.chat_model(format=prompt.schema if with_schema else None)
        started = time.perf_counter()
        try:
            content = llm.invoke(list(prompt.messages)).content
        except self._transport_errors as exc:
            return RawAnswer(
                text=None,
                prompt=prompt,
                model=ref.model,
                latency_ms=_ms(started),
                error=f"{type(exc).__name__}: {short_error(exc)}",  # an error page's markup stays out
            )
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        return RawAnswer(text=text, prompt=prompt, model=ref.model, latency_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
