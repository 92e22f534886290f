"""What the service needs from a model factory (ChatModelFactory: app.models.factory.ModelFactory, or
app.fakes.ScriptedModelFactory) and the types it speaks in: the backend kinds and the outcome of a preload."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict

from app.models.chaos import ChaosConfig, OnFault
from app.models.info import ModelInfo
from app.settings import Settings

BackendKind = Literal["ollama", "embedded"]


class PreloadResult(BaseModel):
    """Outcome of loading a model ahead of the first question (a cold load is slow, not a failure)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: BackendKind
    model: str
    ok: bool
    cold: bool
    duration_s: float
    error: str | None = None


class ChatModelFactory(Protocol):
    """What the service needs from a model factory: ModelFactory (app.models.factory), or app.fakes.ScriptedModelFactory."""

    @property
    def embedded_model_name(self) -> str: ...

    def chat_model(
        self,
        kind: BackendKind,
        model: str,
        *,
        timeout: float,
        format: dict[str, Any] | str | None = None,
        chaos: ChaosConfig | None = None,
        rng_seed: int | None = None,
        on_fault: OnFault | None = None,
        settings: Settings | None = None,
        reasoning: bool | str | None = None,
    ) -> BaseChatModel: ...

    def describe(self, kind: BackendKind, model: str, *, timeout: float, settings: Settings | None = None) -> ModelInfo:
        """What the server says about the model (context length, capabilities); failures in `error`."""
        ...

    def preload(self, kind: BackendKind, model: str, timeout: float, *, settings: Settings | None = None) -> PreloadResult: ...

    def fresh(self, kind: BackendKind, model: str, *, settings: Settings | None = None) -> ChatModelFactory | None:
        """A factory whose next call on `model` (at the Ollama host of `settings`, else the factory's) is a cold load,
        or None when the backend cannot give one."""
        ...
