"""Builds the model rungs of the fallback ladder from Settings and the backend choice:
primary model -> fallback model (Ollama only) -> embedded model. Owns the per-model circuit breakers and
the "already warm" memory across requests (held by the service instance, not globally).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from app.models.backend import BackendChoice
from app.models.chaos import ChaosConfig
from app.models.factory import BackendKind, ChatModelFactory
from app.settings import Settings
from chains import CircuitBreaker, ModelRung, WarmupFailed

ChaosHook = Callable[[str, str], None]


@dataclass
class RungBuilder:
    factory: ChatModelFactory
    _breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    _warm: set[str] = field(default_factory=set)
    _models: dict[tuple[Any, ...], BaseChatModel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def breaker(self, key: str, settings: Settings) -> CircuitBreaker:
        with self._lock:
            if key not in self._breakers:
                self._breakers[key] = CircuitBreaker(
                    name=key, failures=settings.breaker_failures, cooldown_s=settings.breaker_cooldown
                )
            return self._breakers[key]

    def breakers(self) -> dict[str, CircuitBreaker]:
        return dict(self._breakers)

    def _chat(
        self, kind: BackendKind, model: str, settings: Settings, chaos: ChaosConfig | None, on_fault: ChaosHook | None
    ) -> BaseChatModel:
        # Chaos models are rebuilt per request so the fault hook reports into that request's trace.
        key = (kind, model, settings.timeout, settings.temperature, settings.num_ctx, settings.num_predict, settings.seed)
        if chaos is not None:
            return self.factory.chat_model(
                kind, model, settings=settings, timeout=settings.timeout, chaos=chaos, on_fault=on_fault
            )
        with self._lock:
            if key not in self._models:
                self._models[key] = self.factory.chat_model(kind, model, settings=settings, timeout=settings.timeout)
            return self._models[key]

    def _warmup(self, kind: BackendKind, model: str, settings: Settings) -> Callable[[float], str | None]:
        key = f"{kind}:{model}"

        def warm(seconds_left: float) -> str | None:
            if key in self._warm:
                return None
            # The load gets its own long timeout, but never more than the question has left.
            result = self.factory.preload(kind, model, timeout=max(0.1, min(settings.load_timeout, seconds_left)))
            if result.error:
                raise WarmupFailed(result.error)
            self._warm.add(key)
            return f"{'cold start: model loaded' if result.cold else 'model ready'} in {result.duration_s:.2f} s"

        return warm

    def build(
        self, choice: BackendChoice, settings: Settings, *, chaos: ChaosConfig | None = None, on_fault: ChaosHook | None = None
    ) -> tuple[ModelRung, ...]:
        embedded_name = self.factory.embedded_model_name
        plan: list[tuple[str, BackendKind, str]] = []  # (rung name, kind, model)
        if choice.kind == "ollama":
            # choice.model is the installed name the probe resolved (e.g. qwen2.5:3b-instruct-q4_K_M), which
            # may differ from settings.model; asking for the configured name would get a 404.
            plan.append(("primary", "ollama", choice.model))
            if settings.fallback_model and settings.fallback_model != settings.model:
                plan.append(("fallback_model", "ollama", settings.fallback_model))
            plan.append(("embedded", "embedded", embedded_name))
        else:
            plan.append(("embedded", "embedded", embedded_name))
        rungs = []
        for name, kind, model in plan:
            key = f"{kind}:{model}"
            rungs.append(
                ModelRung(
                    name=name,
                    model=model,
                    backend=kind,
                    llm=self._chat(kind, model, settings, chaos, on_fault),
                    breaker=self.breaker(key, settings) if kind == "ollama" else None,
                    warmup=self._warmup(kind, model, settings),
                )
            )
        return tuple(rungs)
