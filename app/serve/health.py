"""Readiness of the HTTP service: the index is loaded and not empty, and the answering backend is
reachable (a live probe when it is Ollama; the in-process embedded model is reachable when chosen).
Liveness (/healthz) needs nothing: the process answers.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from app import GuardedRAG


class ReadyCheck(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    detail: str


class Readiness(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ready: bool
    index: ReadyCheck
    backend: ReadyCheck
    profiles: dict[str, ReadyCheck] = Field(
        default_factory=dict, description="The index of each other served model (profile), by model name."
    )


def _index(svc: GuardedRAG) -> ReadyCheck:
    try:
        stats = svc.index_stats()
        return ReadyCheck(ok=stats.count > 0, detail=f"{stats.count} chunks from {stats.documents} documents")
    except Exception as exc:  # a broken index is "not ready", with the reason, never a 500
        return ReadyCheck(ok=False, detail=f"{type(exc).__name__}: {exc}")


def readiness(svc: GuardedRAG, profiles: Mapping[str, GuardedRAG] | None = None) -> Readiness:
    """Blocking (index access, a probe with a short timeout): run it on a worker thread. `profiles`: the other
    served models, each of whose index must answer too (a profile with an empty index answered 500s while the
    server said it was ready)."""
    index = _index(svc)
    others = {name: _index(p) for name, p in (profiles or {}).items()}
    try:
        choice = svc.backend()
        if choice.kind == "ollama":
            probe = svc.probe_ollama(choice.host, choice.model)
            ok = probe.reachable and probe.has_model
            backend = ReadyCheck(ok=ok, detail=f"ollama {choice.model} at {choice.host}: " + (probe.error or "reachable"))
        else:
            backend = ReadyCheck(ok=True, detail=f"embedded {choice.model} (in process): {choice.reason}")
    except Exception as exc:
        backend = ReadyCheck(ok=False, detail=f"{type(exc).__name__}: {exc}")
    ready = index.ok and backend.ok and all(c.ok for c in others.values())
    return Readiness(ready=ready, index=index, backend=backend, profiles=others)
