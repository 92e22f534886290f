"""Readiness of the HTTP service: the index is loaded and not empty, and the answering backend is
reachable (a live probe when it is Ollama; the in-process embedded model is reachable when chosen).
Liveness (/healthz) needs nothing: the process answers.

/readyz is public (probes carry no token), so a caller without the token gets the backend check from
BackendChecks: the last one if it is younger than READY_PROBE_TTL_S, else one new probe that concurrent callers
share. Only a caller with the token makes the server probe its backend on every request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

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


READY_PROBE_TTL_S = 10.0
"""How long a backend check answers /readyz callers without the token (a kubelet probes every 10 s by default)."""


def backend_check(svc: GuardedRAG) -> ReadyCheck:
    """The answering backend: a live probe when it is Ollama. Blocking (a probe with a short timeout)."""
    try:
        choice = svc.backend()
        if choice.kind == "ollama":
            probe = svc.probe_ollama(choice.host, choice.model)
            ok = probe.reachable and probe.has_model
            return ReadyCheck(ok=ok, detail=f"ollama {choice.model} at {choice.host}: " + (probe.error or "reachable"))
        return ReadyCheck(ok=True, detail=f"embedded {choice.model} (in process): {choice.reason}")
    except Exception as exc:
        return ReadyCheck(ok=False, detail=f"{type(exc).__name__}: {exc}")


class BackendChecks:
    """The last backend check of one served app, and when it was made. Without the token every /readyz probed the
    Ollama backend again: anyone who could reach the port could make the server send it requests as fast as they
    liked. `fresh=False` callers get the kept check while it is younger than `ttl`; the lock makes concurrent
    callers share one probe."""

    def __init__(self, ttl: float = READY_PROBE_TTL_S, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._last: tuple[float, ReadyCheck] | None = None

    def check(self, svc: GuardedRAG, *, fresh: bool) -> ReadyCheck:
        with self._lock:
            if not fresh and self._last is not None and self._clock() - self._last[0] < self._ttl:
                return self._last[1]
            check = backend_check(svc)
            self._last = (self._clock(), check)
            return check


def readiness(
    svc: GuardedRAG,
    profiles: Mapping[str, GuardedRAG] | None = None,
    *,
    checks: BackendChecks | None = None,
    fresh: bool = True,
) -> Readiness:
    """Blocking (index access, a probe with a short timeout): run it on a worker thread. `profiles`: the other
    served models, each of whose index must answer too (a profile with an empty index answered 500s while the
    server said it was ready). `checks`, `fresh=False`: the backend check may be a recent one (BackendChecks)."""
    index = _index(svc)
    others = {name: _index(p) for name, p in (profiles or {}).items()}
    backend = backend_check(svc) if checks is None else checks.check(svc, fresh=fresh)
    ready = index.ok and backend.ok and all(c.ok for c in others.values())
    return Readiness(ready=ready, index=index, backend=backend, profiles=others)
