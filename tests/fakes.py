"""Strict scripted fakes for unit tests: they record what they were sent and fail loudly when exhausted.

Exhaustion raises AssertionError on purpose: it is not a transport error, so no retry or fallback in the
chain can swallow it and a test that makes more model calls than scripted fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from guardrails import Chunk


class ScriptedChatModel(BaseChatModel):
    """Replies with the next scripted item: a string (the reply text) or an exception instance (raised)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any] = Field(default_factory=list)
    model: str = "scripted"
    calls: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model}

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.calls.append({"messages": list(messages), "kwargs": dict(kwargs)})
        if not self.script:
            raise AssertionError(f"ScriptedChatModel {self.model!r} exhausted after {len(self.calls) - 1} call(s)")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if run_manager is not None:
            run_manager.on_llm_new_token(item)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(item), generation_info={"done_reason": "stop"})])

    @property
    def remaining(self) -> int:
        return len(self.script)


def scripted(*items: Any, model: str = "scripted") -> ScriptedChatModel:
    return ScriptedChatModel(script=list(items), model=model)


def make_chunks(texts: Iterable[tuple[str, str]], *, score: float = 0.8) -> list[Chunk]:
    """(source, text) pairs -> chunks with stable ids c1, c2, ..."""
    return [Chunk(chunk_id=f"c{i}", source=src, text=text, score=score) for i, (src, text) in enumerate(texts, 1)]


class FixedRetriever:
    """Returns the given chunks for every query and records the queries."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self.queries: list[str] = []

    def __call__(self, query: str, k: int) -> list[Chunk]:
        self.queries.append(query)
        return self.chunks[:k]
