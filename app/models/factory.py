"""Building the one ChatOllama for a backend (Ollama over HTTP, or the embedded SmolLM2 through an in-process
transport), preloading it, and the narrow tuple of errors that mean "the model server failed".

Composition-root code: ModelFactory owns the embedded engine and is held by the service, so the model loads
once per process (per embedded configuration: a serve profile with its own gguf, num_ctx or threads gets its own
engine, `for_settings`). Both backends are the same ChatOllama class.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import httpx
import ollama
from langchain_core.language_models import BaseChatModel
from langchain_ollama import ChatOllama
from pydantic import BaseModel, ConfigDict

from app.embedded import AsyncEmbeddedOllamaTransport, ChatEngine, EmbeddedOllamaTransport, LlamaEngine
from app.embedded.gguf import normalize_name
from app.models.chaos import AsyncChaosTransport, ChaosConfig, ChaosTransport, OnFault
from app.models.deadline import AsyncDeadlineTransport, DeadlineTransport, wire_transport
from app.models.info import ModelInfo, from_show
from app.models.pool import HostPool, HostStatus, ProbeVerdict
from app.models.pool_transport import AsyncPoolTransport, PoolTransport
from app.models.probe import probe_ollama
from app.models.reply_shape import AsyncReplyShapeTransport, ReplyShapeTransport
from app.models.utf8_chat import Utf8ChatOllama
from app.settings import Settings

BackendKind = Literal["ollama", "embedded"]
log = logging.getLogger("guarded_rag.models")
EMBEDDED_URL = "http://embedded.ollama"  # never resolved: the embedded transports answer in-process

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
    ollama.ResponseError,
    json.JSONDecodeError,
)
"""What ChatOllama raises when the model *server* fails (each one reproduced in tests/app/test_chatollama_contract.py):

- ConnectionError (builtin): connection refused on a non-streaming call (ollama.Client turns httpx.ConnectError
  into it).
- httpx.NetworkError: connection refused on a *streaming* call, which is what ChatOllama makes; the ollama client's
  stream path does not translate httpx.ConnectError. Also ReadError/WriteError on a dropped socket.
- httpx.TimeoutException: connect/read timeout (ReadTimeout: no byte within `timeout`; the read timeout applies
  per read, so a stream that stalls longer than `timeout` raises it mid-answer). The embedded transport raises it too.
- httpx.RemoteProtocolError: the server closed the connection mid-response.
- httpx.DecodingError: a body that does not decode as its Content-Encoding says (a proxy that labels it gzip and
  does not compress it, or mangles it); reproduced in tests/app/models/test_hunt_reply_shape_encoding.py.
- ollama.ResponseError: an HTTP 4xx/5xx (`.status_code`: 404 model not pulled, 500, 503 ...) or an `{"error"}`
  line in the middle of a stream (`.status_code == -1`).
- json.JSONDecodeError: a truncated/garbled NDJSON line in the stream. Narrower than ValueError, but parsers above
  must raise their own error type (e.g. OutputParserException) for bad *model text*, or a parse failure would be
  retried as a transport failure.
Not included, on purpose: ValueError, pydantic's ValidationError and AttributeError, which ChatOllama raises for a
200 that is not a chat reply (no lines, only a done_reason="load" line, `{"foo": 1}`, a list): too broad to catch,
they also mean bugs. Such replies are turned into httpx.RemoteProtocolError on the wire instead
(app.models.reply_shape), so they retry and fall back like any server failure. AssertionError (an exhausted test
double) and guardrail violations must propagate.
"""


_DESCRIBE_ERRORS: tuple[type[BaseException], ...] = (*TRANSPORT_ERRORS, ValueError)  # ValueError: not Ollama's shape


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
    """What the service needs from a model factory: ModelFactory below, or app.fakes.ScriptedModelFactory."""

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

    pools: dict[tuple[object, ...], HostPool] = field(default_factory=dict)
    pool_lock: threading.Lock = field(default_factory=threading.Lock)
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
        """(base_url, sync transport, async transport), each bounding a whole reply to `total_s` (default: the
        per-question latency budget; the client's own timeout is per read only)."""
        settings = settings or self.settings
        sync: httpx.BaseTransport
        async_: httpx.AsyncBaseTransport
        base_url = settings.ollama_host
        if kind == "embedded":
            base_url, sync, async_ = EMBEDDED_URL, EmbeddedOllamaTransport(self.engine), AsyncEmbeddedOllamaTransport(self.engine)
        else:  # the wire, its socket reads bounded by the deadline below; replies that are not Ollama's shape fail
            sync, async_ = ReplyShapeTransport(wire_transport()), AsyncReplyShapeTransport(httpx.AsyncHTTPTransport())
        if chaos is not None:
            # One rng for both twins: the fault sequence is the same whichever path ChatOllama takes.
            rng = random.Random(rng_seed if rng_seed is not None else chaos.seed)
            sync = ChaosTransport(sync, chaos, rng=rng, on_fault=on_fault)
            async_ = AsyncChaosTransport(async_, chaos, rng=rng, on_fault=on_fault)
        total = total_s if total_s is not None else settings.latency_budget
        if kind == "ollama" and len(settings.hosts) > 1:  # a pool: below the deadline, above the wire (and chaos)
            pool = self.pool(settings)
            sync = PoolTransport(pool, sync, base_url=base_url, total_s=total)
            async_ = AsyncPoolTransport(pool, async_, base_url=base_url, total_s=total)
        return base_url, DeadlineTransport(sync, total), AsyncDeadlineTransport(async_, total)

    def pool(self, settings: Settings | None = None) -> HostPool:
        """The process's HostPool for the configured Ollama hosts (built on first use)."""
        settings = settings or self.settings
        key = (settings.hosts, settings.breaker_failures, settings.breaker_cooldown)
        probe_s = min(1.5, settings.timeout)
        with self._shared.pool_lock:
            if key not in self._shared.pools:
                self._shared.pools[key] = HostPool(
                    settings.hosts,
                    failures=settings.breaker_failures,
                    cooldown_s=settings.breaker_cooldown,
                    probe=lambda host, model: _probe_verdict(host, model, probe_s),
                )
            return self._shared.pools[key]

    def pool_status(self) -> tuple[HostStatus, ...]:
        """Every pool host's state in this process (empty with one host)."""
        with self._shared.pool_lock:
            pools = list(self._shared.pools.values())
        return tuple(status for pool in pools for status in pool.status())

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
        started = time.perf_counter()
        cold = True
        try:
            with ollama.Client(host=base_url, timeout=timeout, transport=sync) as client:
                cold = not _is_running(client, model)
                client.chat(model=model, messages=[])
        except TRANSPORT_ERRORS as exc:
            return PreloadResult(
                kind=kind,
                model=model,
                ok=False,
                cold=cold,
                duration_s=time.perf_counter() - started,
                error=f"{type(exc).__name__}: {exc}",
            )
        return PreloadResult(kind=kind, model=model, ok=True, cold=cold, duration_s=time.perf_counter() - started)

    def describe(self, kind: BackendKind, model: str, *, timeout: float, settings: Settings | None = None) -> ModelInfo:
        """/api/show for an Ollama model, within `timeout`. The embedded model: its trained context from the GGUF
        header (no load), so prompts are fitted to it when num_ctx is larger."""
        if kind == "embedded":
            try:
                return ModelInfo(model=model, capabilities=("completion",), context_length=self.engine.card().context_length)
            except OSError as exc:  # ModelFileError: no GGUF; the call itself will say so
                return ModelInfo(model=model, capabilities=("completion",), error=str(exc)[:200])
        base_url, sync, _ = self.transports(kind, settings=settings, total_s=timeout)
        try:
            with ollama.Client(host=base_url, timeout=timeout, transport=sync) as client:
                return from_show(model, client.show(model))
        except _DESCRIBE_ERRORS as exc:
            return ModelInfo(model=model, error=f"{type(exc).__name__}: {str(exc)[:200]}")

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
        """Ask Ollama (at the host of `settings`, a session's, else the factory's) to unload a model now (keep_alive=0
        with no prompt: docs/api.md, "Unload a model"), so the next call is a cold load. Failures are ignored: the
        next call then simply measures a warm model."""
        base_url, sync, _ = self.transports("ollama", settings=settings, total_s=timeout)
        try:
            with ollama.Client(host=base_url, timeout=timeout, transport=sync) as client:
                client.generate(model=model, keep_alive=0)
        except TRANSPORT_ERRORS:
            pass


def _unload(engine: ChatEngine) -> None:
    try:
        engine.unload()
    except Exception as exc:  # shutdown goes on; the memory goes back at exit
        log.warning("freeing the embedded model failed: %s: %s", type(exc).__name__, exc)


def _probe_verdict(host: str, model: str, timeout: float) -> ProbeVerdict:
    found = probe_ollama(host, model, timeout=timeout)
    if not found.reachable or found.error:
        return "down", found.error or "not reachable"
    return ("ok", "") if found.has_model else ("no model", f"{model} is not pulled")


def _is_running(client: ollama.Client, model: str) -> bool:
    try:
        running = client.ps().models
    except ollama.ResponseError:  # an Ollama without /api/ps: assume a cold load
        return False
    wanted = normalize_name(model)
    return any(normalize_name(m.model or m.name or "") == wanted for m in running)
