"""The HostPools of one process: a HostPool per configuration of Ollama hosts (hosts and breaker settings), built
on first use and shared by a model factory and its siblings, since in-flight counts and breakers are per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from app.models.pool import HostPool, HostStatus, ProbeVerdict
from app.models.probe import probe_ollama
from app.settings import Settings


@dataclass
class HostPools:
    """Each HostPool keyed by the settings it is built from; thread-safe."""

    _pools: dict[tuple[object, ...], HostPool] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def pool(self, settings: Settings) -> HostPool:
        """The HostPool for the configured Ollama hosts of `settings` (built on first use)."""
        key = (settings.hosts, settings.breaker_failures, settings.breaker_cooldown)
        probe_s = min(1.5, settings.timeout)
        with self._lock:
            if key not in self._pools:
                self._pools[key] = HostPool(
                    settings.hosts,
                    failures=settings.breaker_failures,
                    cooldown_s=settings.breaker_cooldown,
                    probe=lambda host, model: _probe_verdict(host, model, probe_s),
                )
            return self._pools[key]

    def status(self) -> tuple[HostStatus, ...]:
        """Every pool host's state (empty with one host: no pool is built)."""
        with self._lock:
            pools = list(self._pools.values())
        return tuple(status for pool in pools for status in pool.status())


def _probe_verdict(host: str, model: str, timeout: float) -> ProbeVerdict:
    found = probe_ollama(host, model, timeout=timeout)
    if not found.reachable or found.error:
        return "down", found.error or "not reachable"
    return ("ok", "") if found.has_model else ("no model", f"{model} is not pulled")
