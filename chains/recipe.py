"""The one recipe of what the app sends a model for a question: the answer prompt over the labelled,
budget-fitted passages, and the capped answer JSON schema given as Ollama's `format`.

Used by the guarded chain, the raw evaluation mode, the latency experiment and the benches alike, so a
raw-vs-guarded comparison sends the same prompt by construction, not by copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, get_buffer_string

from chains.context import fit_context
from chains.prompts import format_context, history_messages, label_chunks, qa_messages
from chains.schemas import answer_chars_for, answer_json_schema
from guardrails import Chunk, Turn


@dataclass(frozen=True)
class AnswerPrompt:
    """One request to the model, ready to send."""

    messages: tuple[BaseMessage, ...]
    chunks: tuple[Chunk, ...]  # as the prompt shows them: labelled S1..Sk, fitted to the context budget
    schema: dict[str, Any]  # the answer schema: citation ids = the labels above, answer capped by num_predict
    budget_tokens: int
    used_tokens: int
    cut: tuple[str, ...]  # what the context budget dropped or truncated ("S3 dropped ...")
    # QA_PROMPT's inputs: QA_PROMPT.format_messages(**template_values) == messages (a test pins it), for a
    # `QA_PROMPT | llm | parser` chain that sends exactly this prompt (the raw-vs-guarded benches)
    template_values: dict[str, Any]

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.chunks]


def answer_prompt(
    question: str, chunks: Sequence[Chunk], *, history: Sequence[Turn] = (), num_ctx: int, num_predict: int
) -> AnswerPrompt:
    """Label the passages, fit them into num_ctx (Ollama would silently cut the prompt's beginning), and
    build the messages and the schema."""
    labelled = label_chunks(chunks)
    turns = list(history)
    while True:
        past = history_messages(turns)
        fixed = get_buffer_string(qa_messages(context="", question=question, history=past))  # = QA_PROMPT.format(...)
        fitted = fit_context(labelled, num_ctx=num_ctx, num_predict=num_predict, fixed_text=fixed)
        # The passages are what the answer must stand on: when the history leaves room for none, its earliest
        # turns give way (a model asked with no passage can only fail the citation and grounding checks).
        if fitted.chunks or not labelled or not past:
            break
        turns = turns[len(turns) - len(past) + 1 :]
    kept = fitted.chunks
    dropped = len(history_messages(history)) - len(past)
    cut = fitted.cut + ((f"history: the {dropped} earliest turn(s) left out so a passage fits",) if dropped else ())
    context = format_context(kept)
    messages = qa_messages(context=context, question=question, history=past)
    schema = answer_json_schema([c.label for c in kept], max_answer_chars=answer_chars_for(num_predict))
    return AnswerPrompt(
        messages=tuple(messages),
        chunks=kept,
        schema=schema,
        budget_tokens=fitted.budget_tokens,
        used_tokens=fitted.used_tokens,
        cut=cut,
        template_values={"context": context, "question": question, "history": past},
    )
