"""Builds the model rungs of the fallback ladder from Settings and the backend choice:
primary model -> fallback model (Ollama only) -> embedded model. Owns the per-model circuit breakers and
the "already warm" memory across requests (held by the service instance, not globally).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from app.models.backend import BackendChoice
from app.models.chaos import ChaosConfig
from app.models.factory_types import BackendKind, ChatModelFactory
from app.models.info import ModelInfo, RungSetup, rung_setup
from app.settings import Settings
from chains import CircuitBreaker, ModelRung, WarmupFailed

ChaosHook = Callable[[str, str], None]
# Ollama unloads a model idle for keep_alive (5 minutes by default): after this long without a request the model
# may be cold again, so the next request goes through the load path (long timeout) instead of timing out.
IDLE_RELOAD_S = 240.0
INFO_TTL_S = 600.0  # /api/show is read again after this long (a model may be re-pulled); failures after 30 s
DESCRIBE_TIMEOUT_S = 5.0


@dataclass
class RungBuilder:
    factory: ChatModelFactory
    clock: Callable[[], float] = time.monotonic
    _breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    _warm: dict[str, float] = field(default_factory=dict)  # model key -> when a request last entered its rung
    _models: dict[tuple[Any, ...], BaseChatModel] = field(default_factory=dict)
    _infos: dict[tuple[str, str], tuple[float, ModelInfo]] = field(default_factory=dict)
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

    def _info(self, kind: BackendKind, model: str, settings: Settings) -> ModelInfo:
        key = (settings.ollama_host if kind == "ollama" else "embedded", model)
        now = self.clock()
        with self._lock:
            cached = self._infos.get(key)
        if cached is not None and now - cached[0] < (30.0 if cached[1].error else INFO_TTL_S):
            return cached[1]
        info = self.factory.describe(kind, model, timeout=min(settings.timeout, DESCRIBE_TIMEOUT_S), settings=settings)
        with self._lock:
            self._infos[key] = (now, info)
        return info

    def _chat(
        self,
        kind: BackendKind,
        model: str,
        settings: Settings,
        setup: RungSetup,
        chaos: ChaosConfig | None,
        on_fault: ChaosHook | None,
    ) -> BaseChatModel:
        # Chaos models are rebuilt per request so the fault hook reports into that request's trace.
        key = (
            kind,
            model,
            settings.hosts,  # the pool (or the one host) the model's transport routes to
            settings.timeout,
            settings.latency_budget,
            settings.temperature,
            settings.num_ctx,
            settings.num_predict,
            settings.seed,
            setup.reasoning,
        )
        if chaos is not None:
            return self.factory.chat_model(
                kind,
                model,
                settings=settings,
                timeout=settings.timeout,
                chaos=chaos,
                on_fault=on_fault,
                reasoning=setup.reasoning,
            )
        with self._lock:
            if key not in self._models:
                self._models[key] = self.factory.chat_model(
                    kind, model, settings=settings, timeout=settings.timeout, reasoning=setup.reasoning
                )
            return self._models[key]

    def _warmup(self, kind: BackendKind, model: str, settings: Settings) -> Callable[[float], str | None]:
        key = f"{kind}:{model}"

        def warm(seconds_left: float) -> str | None:
            now = self.clock()
            last = self._warm.get(key)
            if last is not None and now - last < IDLE_RELOAD_S:
                self._warm[key] = now
                return None
            # The load gets its own long timeout, but never more than the question has left.
            result = self.factory.preload(kind, model, timeout=max(0.1, min(settings.load_timeout, seconds_left)))
            if result.error:
                raise WarmupFailed(result.error)
            self._warm[key] = self.clock()
            note = f"{'cold start: model loaded' if result.cold else 'model ready'} in {result.duration_s:.2f} s"
            if last is not None:
                note = f"idle for {now - last:.0f} s (Ollama unloads an idle model after its keep_alive): {note}"
            return note

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
            if settings.fallback_model and settings.fallback_model not in (settings.model, choice.model):
                plan.append(("fallback_model", "ollama", settings.fallback_model))
            plan.append(("embedded", "embedded", embedded_name))
        else:
            plan.append(("embedded", "embedded", embedded_name))
        version = choice.probe.version if choice.probe is not None else None
        rungs = []
        for name, kind, model in plan:
            key = f"{kind}:{model}"
            setup = (
                rung_setup(self._info(kind, model, settings), version=version, num_ctx=settings.num_ctx)
                if kind == "ollama"
                else RungSetup()
            )
            rungs.append(
                ModelRung(
                    name=name,
                    model=model,
                    backend=kind,
                    llm=self._chat(kind, model, settings, setup, chaos, on_fault),
                    breaker=self.breaker(key, settings) if kind == "ollama" else None,
                    warmup=self._warmup(kind, model, settings),
                    schema_format=setup.schema_format,
                    context_window=setup.context_window,
                    notes=setup.notes,
                )
            )
        return tuple(rungs)
