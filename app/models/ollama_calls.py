"""The calls on a model server that are not a chat: load a model ahead of the first question (preload), ask what
it is (/api/show), unload it. Each over the transport it is given, within a timeout; a server failure is an
answer (a failed PreloadResult, a ModelInfo with an error, nothing), never an exception."""

from __future__ import annotations

import time

import httpx
import ollama

from app.embedded.gguf import normalize_name
from app.models.factory_types import BackendKind, PreloadResult
from app.models.info import ModelInfo, from_show
from app.models.transport_errors import TRANSPORT_ERRORS

_DESCRIBE_ERRORS: tuple[type[BaseException], ...] = (*TRANSPORT_ERRORS, ValueError)  # ValueError: not Ollama's shape


def preload(kind: BackendKind, model: str, base_url: str, transport: httpx.BaseTransport, timeout: float) -> PreloadResult:
    """Load the model with Ollama's empty chat, under the long load timeout; `cold` = it was not in memory."""
    started = time.perf_counter()
    cold = True
    try:
        with ollama.Client(host=base_url, timeout=timeout, transport=transport) as client:
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


def show(model: str, base_url: str, transport: httpx.BaseTransport, timeout: float) -> ModelInfo:
    """/api/show for an Ollama model, within `timeout`; a failure in `error`."""
    try:
        with ollama.Client(host=base_url, timeout=timeout, transport=transport) as client:
            return from_show(model, client.show(model))
    except _DESCRIBE_ERRORS as exc:
        return ModelInfo(model=model, error=f"{type(exc).__name__}: {str(exc)[:200]}")


def unload(model: str, base_url: str, transport: httpx.BaseTransport, timeout: float) -> None:
    """Ask Ollama to unload a model now (keep_alive=0 with no prompt: docs/api.md, "Unload a model"), so the next
    call is a cold load. Failures are ignored: the next call then simply measures a warm model."""
    try:
        with ollama.Client(host=base_url, timeout=timeout, transport=transport) as client:
            client.generate(model=model, keep_alive=0)
    except TRANSPORT_ERRORS:
        pass


def _is_running(client: ollama.Client, model: str) -> bool:
    try:
        running = client.ps().models
    except ollama.ResponseError:  # an Ollama without /api/ps: assume a cold load
        return False
    wanted = normalize_name(model)
    return any(normalize_name(m.model or m.name or "") == wanted for m in running)
