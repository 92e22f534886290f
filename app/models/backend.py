"""Choosing the model backend: probe Ollama, then answer with it or with the embedded SmolLM2, and say why.

Composition-root code: reads Settings and talks to Ollama's HTTP API only to look (version, tags). Building
the ChatOllama for the chosen backend is app.models.factory's job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx
from pydantic import BaseModel, ConfigDict

from app.embedded.gguf import embedded_model_name, normalize_name
from app.models.factory import BackendKind
from app.settings import Settings


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


def probe_ollama(host: str, model: str, *, timeout: float = 1.5, transport: httpx.BaseTransport | None = None) -> OllamaProbe:
    """GET /api/version and /api/tags with a short timeout; network and protocol problems become `error`."""
    try:
        with httpx.Client(base_url=host, timeout=timeout, transport=transport) as client:
            version_reply = client.get("/api/version")
            version = version_reply.json().get("version") if version_reply.is_success else None
            tags = client.get("/api/tags")
            if not tags.is_success:
                return OllamaProbe(
                    host=host,
                    model=model,
                    reachable=True,
                    version=version,
                    error=f"GET /api/tags answered HTTP {tags.status_code}: {tags.text[:200]}",
                )
            names = tuple(str(m.get("name") or m.get("model")) for m in tags.json().get("models") or [])
    except httpx.HTTPError as exc:
        return OllamaProbe(host=host, model=model, reachable=False, error=f"{type(exc).__name__}: {exc}")
    except (ValueError, AttributeError, TypeError) as exc:  # not JSON / not Ollama's shape: something else listens
        return OllamaProbe(host=host, model=model, reachable=True, error=f"not an Ollama answer ({exc})")
    resolved = resolve_model(model, names)
    return OllamaProbe(
        host=host,
        model=model,
        reachable=True,
        version=version,
        models=names,
        has_model=resolved is not None,
        resolved_model=resolved,
    )


Probe = Callable[[str, str], OllamaProbe]


def _embedded_label(settings: Settings) -> str:
    return "SmolLM2-135M" if settings.gguf is None else f"model {embedded_model_name(settings.gguf)}"


def choose_backend(settings: Settings, *, probe: Probe = probe_ollama) -> BackendChoice:
    host, wanted = settings.ollama_host, settings.model
    embedded = embedded_model_name(settings.gguf)
    label = _embedded_label(settings)
    if settings.backend == "embedded":
        return BackendChoice(
            kind="embedded",
            model=embedded,
            host=host,
            reason=f"backend=embedded: using the embedded {label}; Ollama is not contacted",
        )
    found = probe(host, wanted)
    pull = f"ollama pull {wanted}"
    if found.has_model and found.resolved_model:
        return BackendChoice(
            kind="ollama",
            model=found.resolved_model,
            host=host,
            probe=found,
            reason=f"Ollama at {host} has {found.resolved_model}",
        )
    if settings.backend == "ollama":  # forced: failures go down the fallback ladder, but say what we saw
        if not found.reachable:
            return BackendChoice(
                kind="ollama",
                model=wanted,
                host=host,
                probe=found,
                fix="start Ollama: `ollama serve`",
                reason=f"backend=ollama: Ollama not reachable at {host} ({found.error}); "
                "requests will fail over to the fallback ladder",
            )
        return BackendChoice(
            kind="ollama",
            model=wanted,
            host=host,
            probe=found,
            fix=f"run `{pull}`",
            reason=f"backend=ollama: Ollama is running at {host} but {wanted} is not available "
            f"({found.error or 'not pulled'}); requests will fail over to the fallback ladder",
        )
    if not found.reachable:
        return BackendChoice(
            kind="embedded",
            model=embedded,
            host=host,
            probe=found,
            fix=f"start Ollama (`ollama serve`) and run `{pull}` to answer with {wanted}",
            reason=f"Ollama not reachable at {host}; using the embedded {label}",
        )
    if found.error:
        return BackendChoice(
            kind="embedded",
            model=embedded,
            host=host,
            probe=found,
            fix="check the Ollama server log",
            reason=f"Ollama at {host} answered with an error ({found.error}); using the embedded {label}",
        )
    return BackendChoice(
        kind="embedded",
        model=embedded,
        host=host,
        probe=found,
        fix=f"run `{pull}`",
        reason=f"Ollama is running but {wanted} is not pulled — run `{pull}`; using the embedded model",
    )
