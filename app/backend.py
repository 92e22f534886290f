"""Choosing the model backend (Ollama or the embedded SmolLM2) and building the one ChatOllama for it.

Composition-root code: reads Settings, probes Ollama, owns the embedded engine through ModelFactory
(held by the service, so the model loads once per process). Both backends are the same ChatOllama class;
the embedded one talks to an in-process transport.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import ollama
from langchain_ollama import ChatOllama
from pydantic import BaseModel, ConfigDict

from app.chaos import AsyncChaosTransport, ChaosConfig, ChaosTransport, OnFault
from app.embedded import AsyncEmbeddedOllamaTransport, ChatEngine, EmbeddedOllamaTransport, LlamaEngine
from app.embedded.gguf import embedded_model_name, normalize_name
from app.settings import Settings

BackendKind = Literal["ollama", "embedded"]
EMBEDDED_URL = "http://embedded.ollama"  # never resolved: the embedded transports answer in-process

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
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
- ollama.ResponseError: an HTTP 4xx/5xx (`.status_code`: 404 model not pulled, 500, 503 ...) or an `{"error"}`
  line in the middle of a stream (`.status_code == -1`).
- json.JSONDecodeError: a truncated/garbled NDJSON line in the stream. Narrower than ValueError, but parsers above
  must raise their own error type (e.g. OutputParserException) for bad *model text*, or a parse failure would be
  retried as a transport failure.
Not included, on purpose: ValueError("No data received from Ollama stream.") (a 200 with no lines, or only a
done_reason="load" line) is too broad to catch; neither the embedded transport nor Ollama answers a chat that
way. AssertionError (an exhausted test double) and guardrail violations must propagate.
"""


class OllamaProbe(BaseModel):
    """What a quick look at an Ollama server found. Never an exception: failures are in `error`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    model: str
    reachable: bool
    version: str | None = None
    models: tuple[str, ...] = ()
    has_model: bool = False
    resolved_model: str | None = None
    error: str | None = None


class BackendChoice(BaseModel):
    """Which backend answers, with the reason in plain words and the one-line fix when there is one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: BackendKind
    model: str
    reason: str
    fix: str | None = None
    host: str
    probe: OllamaProbe | None = None


class PreloadResult(BaseModel):
    """Outcome of loading a model ahead of the first question (a cold load is slow, not a failure)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: BackendKind
    model: str
    ok: bool
    cold: bool
    duration_s: float
    error: str | None = None


def resolve_model(wanted: str, available: Sequence[str]) -> str | None:
    """The installed name for `wanted`: exact (no tag = ':latest'), else a variant of its tag (3b -> 3b-instruct-q4)."""
    target = normalize_name(wanted)
    for name in available:
        if normalize_name(name) == target:
            return name
    base, tag = target.rsplit(":", 1)
    for name in available:
        other_base, other_tag = normalize_name(name).rsplit(":", 1)
        if other_base == base and tag != "latest" and other_tag.startswith(tag + "-"):
            return name
    return None


def probe_ollama(
    host: str, model: str, *, timeout: float = 1.5, transport: httpx.BaseTransport | None = None
) -> OllamaProbe:
    """GET /api/version and /api/tags with a short timeout; network and protocol problems become `error`."""
    try:
        with httpx.Client(base_url=host, timeout=timeout, transport=transport) as client:
            version_reply = client.get("/api/version")
            version = version_reply.json().get("version") if version_reply.is_success else None
            tags = client.get("/api/tags")
            if not tags.is_success:
                return OllamaProbe(host=host, model=model, reachable=True, version=version,
                                   error=f"GET /api/tags answered HTTP {tags.status_code}: {tags.text[:200]}")
            names = tuple(str(m.get("name") or m.get("model")) for m in tags.json().get("models") or [])
    except httpx.HTTPError as exc:
        return OllamaProbe(host=host, model=model, reachable=False, error=f"{type(exc).__name__}: {exc}")
    except (ValueError, AttributeError, TypeError) as exc:  # not JSON / not Ollama's shape: something else listens
        return OllamaProbe(host=host, model=model, reachable=True, error=f"not an Ollama answer ({exc})")
    resolved = resolve_model(model, names)
    return OllamaProbe(host=host, model=model, reachable=True, version=version, models=names,
                       has_model=resolved is not None, resolved_model=resolved)


Probe = Callable[[str, str], OllamaProbe]


def _embedded_label(settings: Settings) -> str:
    return "SmolLM2-135M" if settings.gguf is None else f"model {embedded_model_name(settings.gguf)}"


def choose_backend(settings: Settings, *, probe: Probe = probe_ollama) -> BackendChoice:
    host, wanted = settings.ollama_host, settings.model
    embedded = embedded_model_name(settings.gguf)
    label = _embedded_label(settings)
    if settings.backend == "embedded":
        return BackendChoice(kind="embedded", model=embedded, host=host,
                             reason=f"backend=embedded: using the embedded {label}; Ollama is not contacted")
    found = probe(host, wanted)
    pull = f"ollama pull {wanted}"
    if found.has_model and found.resolved_model:
        return BackendChoice(kind="ollama", model=found.resolved_model, host=host, probe=found,
                             reason=f"Ollama at {host} has {found.resolved_model}")
    if settings.backend == "ollama":  # forced: failures go down the fallback ladder, but say what we saw
        if not found.reachable:
            return BackendChoice(kind="ollama", model=wanted, host=host, probe=found, fix="start Ollama: `ollama serve`",
                                 reason=f"backend=ollama: Ollama not reachable at {host} ({found.error}); "
                                 "requests will fail over to the fallback ladder")
        return BackendChoice(kind="ollama", model=wanted, host=host, probe=found, fix=f"run `{pull}`",
                             reason=f"backend=ollama: Ollama is running at {host} but {wanted} is not available "
                             f"({found.error or 'not pulled'}); requests will fail over to the fallback ladder")
    if not found.reachable:
        return BackendChoice(kind="embedded", model=embedded, host=host, probe=found,
                             fix=f"start Ollama (`ollama serve`) and run `{pull}` to answer with {wanted}",
                             reason=f"Ollama not reachable at {host}; using the embedded {label}")
    if found.error:
        return BackendChoice(kind="embedded", model=embedded, host=host, probe=found, fix="check the Ollama server log",
                             reason=f"Ollama at {host} answered with an error ({found.error}); using the embedded {label}")
    return BackendChoice(kind="embedded", model=embedded, host=host, probe=found, fix=f"run `{pull}`",
                         reason=f"Ollama is running but {wanted} is not pulled — run `{pull}`; using the embedded model")


@dataclass(frozen=True)
class ModelFactory:
    """Builds ChatOllama for either backend; owns the single embedded engine (lazy: nothing loads here)."""

    settings: Settings
    engine: ChatEngine = field(default=None)  # type: ignore[assignment]  # filled in __post_init__

    def __post_init__(self) -> None:
        if self.engine is None:
            object.__setattr__(self, "engine", LlamaEngine.from_settings(self.settings))

    @property
    def embedded_model_name(self) -> str:
        return self.engine.model_name

    def transports(
        self, kind: BackendKind, *, chaos: ChaosConfig | None = None, rng_seed: int | None = None,
        on_fault: OnFault | None = None, settings: Settings | None = None,
    ) -> tuple[str, httpx.BaseTransport | None, httpx.AsyncBaseTransport | None]:
        """(base_url, sync transport, async transport); None transports mean httpx's defaults."""
        settings = settings or self.settings
        sync: httpx.BaseTransport | None = None
        async_: httpx.AsyncBaseTransport | None = None
        base_url = settings.ollama_host
        if kind == "embedded":
            base_url, sync, async_ = EMBEDDED_URL, EmbeddedOllamaTransport(self.engine), AsyncEmbeddedOllamaTransport(self.engine)
        if chaos is not None:
            # One rng for both twins: the fault sequence is the same whichever path ChatOllama takes.
            rng = random.Random(rng_seed if rng_seed is not None else chaos.seed)
            sync = ChaosTransport(sync or httpx.HTTPTransport(), chaos, rng=rng, on_fault=on_fault)
            async_ = AsyncChaosTransport(async_ or httpx.AsyncHTTPTransport(), chaos, rng=rng, on_fault=on_fault)
        return base_url, sync, async_

    def chat_model(
        self, kind: BackendKind, model: str, *, timeout: float, format: dict[str, Any] | str | None = None,
        chaos: ChaosConfig | None = None, rng_seed: int | None = None, on_fault: OnFault | None = None,
        settings: Settings | None = None,
    ) -> ChatOllama:
        """`settings` overrides the factory's for this model (per-request temperature, host, ...)."""
        settings = settings or self.settings
        base_url, sync, async_ = self.transports(kind, chaos=chaos, rng_seed=rng_seed, on_fault=on_fault, settings=settings)
        return ChatOllama(
            base_url=base_url,
            model=model,
            format=format,
            temperature=settings.temperature,
            num_ctx=settings.num_ctx,
            num_predict=settings.num_predict,
            seed=settings.seed,
            client_kwargs={"timeout": timeout},  # the ollama client has no default timeout
            sync_client_kwargs={"transport": sync} if sync is not None else {},
            async_client_kwargs={"transport": async_} if async_ is not None else {},
        )

    def preload(self, kind: BackendKind, model: str, timeout: float, *, settings: Settings | None = None) -> PreloadResult:
        """Load the model with Ollama's empty chat, under the long load timeout; `cold` = it was not in memory."""
        base_url, sync, _ = self.transports(kind, settings=settings)
        started = time.perf_counter()
        cold = True
        try:
            with ollama.Client(host=base_url, timeout=timeout, transport=sync) as client:
                cold = not _is_running(client, model)
                client.chat(model=model, messages=[])
        except TRANSPORT_ERRORS as exc:
            return PreloadResult(kind=kind, model=model, ok=False, cold=cold, duration_s=time.perf_counter() - started,
                                 error=f"{type(exc).__name__}: {exc}")
        return PreloadResult(kind=kind, model=model, ok=True, cold=cold, duration_s=time.perf_counter() - started)


def _is_running(client: ollama.Client, model: str) -> bool:
    try:
        running = client.ps().models
    except ollama.ResponseError:  # an Ollama without /api/ps: assume a cold load
        return False
    wanted = normalize_name(model)
    return any(normalize_name(m.model or m.name or "") == wanted for m in running)
