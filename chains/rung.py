"""One model rung of the generation ladder, and what one call to it returned. Data only, shared by the ladder
(chains.generation), its rung setup (chains.rung_setup) and reply reading (chains.reading).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

from chains.circuit import CircuitBreaker


@dataclass(frozen=True)
class ModelRung:
    """One model the ladder may ask. `warmup(seconds)` (optional) loads a cold model with its own long timeout,
    capped at `seconds` (what is left of the question's latency budget), and returns a note for the trace, or
    None when already warm; it raises WarmupFailed when loading fails."""

    name: str
    model: str
    backend: str
    llm: BaseChatModel
    breaker: CircuitBreaker | None = None
    warmup: Callable[[float], str | None] | None = None
    # What the server and model can do (read from Ollama by the app; the defaults assume a recent Ollama):
    schema_format: bool = True  # False: an Ollama before 0.5, sent format="json" and checked by the parse ladder
    context_window: int | None = None  # the model's real context, when smaller prompts must be sent
    notes: tuple[str, ...] = ()  # how the rung was set up, for the trace (e.g. thinking switched off)


@dataclass(frozen=True)
class ModelReply:
    content: str
    reasoning: str  # thinking the server sent apart from the content (ChatOllama's reasoning_content)
    metadata: dict[str, Any]  # Ollama's done_reason, eval_count, prompt_eval_count...
