"""A quick look at one Ollama server: version, pulled models, whether it has a given model. Composition-root code
under app/models, used by the backend choice (backend.py) and by the host pool's health probe (host_pools.py)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from pydantic import BaseModel, ConfigDict

from app.embedded.gguf import normalize_name
from app.models.deadline import DeadlineTransport, wire_transport
from chains.error_text import clean_error_text


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
    """GET /api/version and /api/tags, each within `timeout` in all (a server trickling its answer is cut off
    too); network and protocol problems become `error`."""
    bounded = DeadlineTransport(transport or wire_transport(), timeout)
    try:
        with httpx.Client(base_url=host, timeout=timeout, transport=bounded) as client:
            version_reply = client.get("/api/version")
            version = version_reply.json().get("version") if version_reply.is_success else None
            tags = client.get("/api/tags")
            if not tags.is_success:
                return OllamaProbe(
                    host=host,
                    model=model,
                    reachable=True,
                    version=version,
                    error=f"GET /api/tags answered HTTP {tags.status_code}: {clean_error_text(tags.text)}",
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
