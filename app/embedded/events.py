"""The contract between the embedded Ollama transport and whatever generates text behind it.

`LlamaEngine` implements `ChatEngine` with llama.cpp; tests implement it with scripted fakes, so the
transport (wire format, errors, streaming) is tested without loading a model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from app.embedded.gguf import ModelCard

DoneReason = Literal["stop", "length"]


class Delta(BaseModel):
    """A piece of assistant text, in generation order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    content: str


class Finish(BaseModel):
    """The last event of a generation: why it stopped and Ollama's counters (durations in ns)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    done_reason: DoneReason
    total_duration: int = Field(ge=0)
    load_duration: int = Field(ge=0)
    prompt_eval_count: int = Field(ge=0)
    prompt_eval_duration: int = Field(ge=0)
    eval_count: int = Field(ge=0)
    eval_duration: int = Field(ge=0)
    cold: bool = Field(description="True when this call loaded the model.")


class LoadReport(BaseModel):
    """Outcome of making sure the model is in memory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    load_duration: int = Field(ge=0, description="Nanoseconds spent loading (0 when already loaded).")
    cold: bool
    n_ctx: int


ChatEvent = Delta | Finish

STOP_REQUESTED: ContextVar[Callable[[], bool] | None] = ContextVar("guarded_rag_embedded_stop", default=None)
"""Set by the Pump on its producer thread: whether the request's reader went away. An engine asks it between
the batches of its prompt processing, which runs for seconds before the first token (where the pump's own
per-event check cannot reach)."""


class GenerationStopped(Exception):
    """The engine stopped a generation because its reader went away (STOP_REQUESTED)."""


Format = Literal["", "json"] | dict[str, Any] | None


class ChatEngine(Protocol):
    """A local model the transport can serve. Implementations serialize their own calls."""

    @property
    def model_name(self) -> str: ...

    def card(self) -> ModelCard: ...

    def loaded_ctx(self) -> int | None:
        """n_ctx of the model in memory, or None when nothing is loaded."""
        ...

    def load(self, *, num_ctx: int | None = None) -> LoadReport: ...

    def unload(self) -> bool:
        """Free the model now (Ollama's keep_alive 0); whether one was loaded. The next call loads it again."""
        ...

    def chat(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        format: Format,
        options: Mapping[str, Any] | None,
        stream: bool = True,
    ) -> Iterator[ChatEvent]:
        """Deltas in order, then exactly one Finish. Raises before the first event when it cannot start."""
        ...
