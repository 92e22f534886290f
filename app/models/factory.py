"""Building the one ChatOllama for a backend (Ollama over HTTP, or the embedded SmolLM2 through an in-process
transport), and owning the embedded engines it runs on.

Composition-root code: ModelFactory owns the embedded engine and is held by the service, so the model loads
once per process (per embedded configuration: a serve profile with its own gguf, num_ctx or threads gets its own
engine, `for_settings`). Both backends are the same ChatOllama class, over the transports of app.models.transports;
the calls that are not a chat (preload, show, unload) are app.models.ollama_calls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from langchain_ollama import ChatOllama

from app.embedded import ChatEngine, LlamaEngine
from app.models import ollama_calls
from app.models.chaos import ChaosConfig, OnFault
from app.models.factory_types import BackendKind, ChatModelFactory, PreloadResult
from app.models.host_pools import HostPools
from app.models.info import ModelInfo
from app.models.pool import HostPool, HostStatus
from app.models.transports import model_transports
from app.models.utf8_chat import Utf8ChatOllama
from app.settings import Settings

log = logging.getLogger("guarded_rag.models")

CLOSE_WAIT_S = 3.0
"""How long ModelFactory.close waits for an embedded engine still generating (a withdrawn question stops within a
prompt batch; a model load under way cannot be stopped) before leaving it to free its model when that ends: a
shutdown, or a command-line Ctrl-C, waits seconds at most."""

MAX_EMBEDDED_ENGINES = 4
"""Embedded model configurations (gguf, num_ctx, threads) one process may have: each can load a model of its own."""

EngineKey = tuple[object, ...]


def engine_key(settings: Settings) -> EngineKey:
    """What an embedded engine is built from (LlamaEngine.from_settings): settings differing here need another."""
    return (settings.gguf, settings.num_ctx, settings.threads)


@dataclass
class _Shared:
    """What a factory and its siblings (`for_settings`) share: the Ollama host pools (in-flight counts and breakers
    are per process) and one factory per embedded engine configuration."""

    pools: HostPools = field(default_factory=HostPools)
    engines: dict[EngineKey, ModelFactory] = field(default_factory=dict)
    engine_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class ModelFactory:
    """Builds ChatOllama for either backend; owns the embedded engine for its settings' (gguf, num_ctx, threads)
    (lazy: nothing loads here). `for_settings` hands out the factory for other such settings (a serve profile's)."""

    settings: Settings
    engine: ChatEngine = field(default=None)  # type: ignore[assignment]  # filled in __post_init__
    build_engine: Callable[[Settings], ChatEngine] = field(default=LlamaEngine.from_settings, repr=False, compare=False)
    _shared: _Shared = field(default_factory=_Shared, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.engine is None:
            object.__setattr__(self, "engine", self.build_engine(self.settings))
        self._shared.engines.setdefault(engine_key(self.settings), self)

    @property
    def embedded_model_name(self) -> str:
        return self.engine.model_name

    def for_settings(self, settings: Settings) -> ModelFactory:
        """The factory whose embedded engine is built from `settings` (this one when their gguf, num_ctx and threads
        are this one's; else a sibling, made once, sharing the host pools). Its engine is lazy like this one's: a
        model loads only when the embedded backend answers. ValueError beyond MAX_EMBEDDED_ENGINES."""
        key = engine_key(settings)
        with self._shared.engine_lock:
            found = self._shared.engines.get(key)
            if found is not None:
                return found
            if len(self._shared.engines) >= MAX_EMBEDDED_ENGINES:
                raise ValueError(
                    f"too many embedded model configurations: at most {MAX_EMBEDDED_ENGINES} distinct (gguf, num_ctx, "
                    f"threads) per process, each may load a model; gguf={settings.gguf}, num_ctx={settings.num_ctx}, "
                    f"threads={settings.threads} would be one more (give profiles the same gguf, num_ctx and threads)"
                )
            return replace(self, settings=settings, engine=self.build_engine(settings))  # registered by __post_init__

    def transports(
        self,
        kind: BackendKind,
        *,
        chaos: ChaosConfig | None = None,
        rng_seed: int | None = None,
        on_fault: OnFault | None = None,
        settings: Settings | None = None,
        total_s: float | None = None,
    ) -> tuple[str, httpx.BaseTransport, httpx.AsyncBaseTransport]:
        """(base_url, sync transport, async transport) for `kind` (app.models.transports.model_transports), `settings`
        overriding the factory's."""
        settings = settings or self.settings
        return model_transports(
            kind, self.engine, self._shared.pools, settings, chaos=chaos, rng_seed=rng_seed, on_fault=on_fault, total_s=total_s
        )

    def pool(self, settings: Settings | None = None) -> HostPool:
        """The process's HostPool for the configured Ollama hosts (built on first use)."""
        return self._shared.pools.pool(settings or self.settings)

    def pool_status(self) -> tuple[HostStatus, ...]:
        """Every pool host's state in this process (empty with one host)."""
        return self._shared.pools.status()

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
    ) -> ChatOllama:
        """`settings` overrides the factory's for this model (per-request temperature, host, ...); `reasoning` is
        ChatOllama's think switch (app.models.info.thinking_setting: None sends nothing)."""
        settings = settings or self.settings
        base_url, sync, async_ = self.transports(kind, chaos=chaos, rng_seed=rng_seed, on_fault=on_fault, settings=settings)
        return Utf8ChatOllama(  # a ChatOllama whose messages UTF-8 can always encode (app/models/utf8_chat.py)
            base_url=base_url,
            model=model,
            format=format,
            temperature=settings.temperature,
            num_ctx=settings.num_ctx,
            num_predict=settings.num_predict,
            seed=settings.seed,
            reasoning=reasoning,
            client_kwargs={"timeout": timeout},  # the ollama client has no default timeout
            sync_client_kwargs={"transport": sync},
            async_client_kwargs={"transport": async_},
        )

    def preload(self, kind: BackendKind, model: str, timeout: float, *, settings: Settings | None = None) -> PreloadResult:
        """Load the model with Ollama's empty chat, under the long load timeout; `cold` = it was not in memory."""
        base_url, sync, _ = self.transports(kind, settings=settings, total_s=timeout)
        return ollama_calls.preload(kind, model, base_url, sync, timeout)

    def describe(self, kind: BackendKind, model: str, *, timeout: float, settings: Settings | None = None) -> ModelInfo:
        """/api/show for an Ollama model, within `timeout`. The embedded model: its trained context from the GGUF
        header (no load), so prompts are fitted to it when num_ctx is larger."""
        if kind == "embedded":
            try:
                return ModelInfo(model=model, capabilities=("completion",), context_length=self.engine.card().context_length)
            except OSError as exc:  # ModelFileError: no GGUF; the call itself will say so
                return ModelInfo(model=model, capabilities=("completion",), error=str(exc)[:200])
        base_url, sync, _ = self.transports(kind, settings=settings, total_s=timeout)
        return ollama_calls.show(model, base_url, sync, timeout)

    def fresh(self, kind: BackendKind, model: str, *, settings: Settings | None = None) -> ChatModelFactory | None:
        """This factory, its model unloaded so the next call is a cold load: the embedded engine frees its model
        (a second engine would hold a second copy of it in memory), Ollama is asked to unload it."""
        if kind == "embedded":
            self.engine.unload()
            return self
        self.unload(model, timeout=(settings or self.settings).timeout, settings=settings)
        return self

    def close(self, timeout: float = CLOSE_WAIT_S) -> bool:
        """Free the model of every embedded engine this factory and its siblings (`for_settings`) built, now: the
        owner calls it on shutdown, so llama.cpp's memory goes back deterministically, not at garbage collection.
        The engines stay usable: a later call loads its model again. True when all were freed within `timeout`;
        an engine still generating (unload waits for it) frees its model when that ends, without holding up the
        shutdown any longer."""
        with self._shared.engine_lock:
            engines = {id(f.engine): f.engine for f in (self, *self._shared.engines.values())}
        freeing = [threading.Thread(target=_unload, args=(e,), name="embedded-close", daemon=True) for e in engines.values()]
        for thread in freeing:
            thread.start()
        deadline = time.monotonic() + timeout
        for thread in freeing:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = sum(thread.is_alive() for thread in freeing)
        if busy:
            log.warning("%d embedded model(s) still generating after %.0f s: freed when the generation ends", busy, timeout)
        return not busy

    def unload(self, model: str, *, timeout: float, settings: Settings | None = None) -> None:
        """Ask Ollama (at the host of `settings`, a session's, else the factory's) to unload a model now, so the next
        call is a cold load (app.models.ollama_calls.unload; failures are ignored)."""
        base_url, sync, _ = self.transports("ollama", settings=settings, total_s=timeout)
        ollama_calls.unload(model, base_url, sync, timeout)


def _unload(engine: ChatEngine) -> None:
    try:
        engine.unload()
    except Exception as exc:  # shutdown goes on; the memory goes back at exit
        log.warning("freeing the embedded model failed: %s: %s", type(exc).__name__, exc)
