"""Readiness of the HTTP service: the index is loaded and not empty, and the answering backend is
reachable (a live probe when it is Ollama; the in-process embedded model is reachable when chosen).
Liveness (/healthz) needs nothing: the process answers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

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


def readiness(svc: GuardedRAG) -> Readiness:
    """Blocking (index access, a probe with a short timeout): run it on a worker thread."""
    try:
        stats = svc.index_stats()
        index = ReadyCheck(ok=stats.count > 0, detail=f"{stats.count} chunks from {stats.documents} documents")
    except Exception as exc:  # a broken index is "not ready", with the reason, never a 500
        index = ReadyCheck(ok=False, detail=f"{type(exc).__name__}: {exc}")
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
    return Readiness(ready=index.ok and backend.ok, index=index, backend=backend)
