"""A pool of Ollama hosts (OLLAMA_HOST with commas, or GUARDED_RAG_OLLAMA_HOSTS): which host the next request goes
to, and each host's circuit breaker. Composition-root code under app/models; the httpx transport that uses it is
app.models.pool_transport. Only built when more than one host is configured: the one-host path never sees it.

Choice: among the hosts whose breaker is closed and that are not known to lack the model, the one with the fewest
requests in flight, ties broken round robin. A host fails `failures` times in a row: its breaker opens for
`cooldown` s; after that a quick probe (GET /api/version and /api/tags) decides whether it gets traffic again, so
a host that is still dead costs no user request. A host answering 404 for a model is skipped for that model, with
the `ollama pull` hint, and probed again after the cooldown (someone may have pulled it).
Hand-written: the breaker in chains/ guards a model rung, not a host, and no well-kept library balances
httpx requests over hosts with these rules.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

# (host, model) -> ("ok" | "down" | "no model", detail): may the host get traffic for the model again?
ProbeVerdict = tuple[Literal["ok", "down", "no model"], str]
HostProbe = Callable[[str, str], ProbeVerdict]


def pull_hint(host: str, model: str) -> str:
    return f"{host} does not have {model}: run `OLLAMA_HOST={host} ollama pull {model}` there"


class HostStatus(BaseModel):
    """One host as `doctor` and the tests see it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    state: str  # "ok", "open" (breaker), "no model"
    in_flight: int
    answered: int
    failures: int
    last_error: str | None = None


@dataclass
class _Host:
    url: str
    in_flight: int = 0
    failures: int = 0  # consecutive
    open_until: float = 0.0  # breaker open while now < open_until; probed before the next use
    missing: dict[str, float] = field(default_factory=dict)  # model -> when to probe for it again
    answered: int = 0
    last_error: str | None = None


class NoHostAvailable(RuntimeError):
    """Every host is open, lacks the model, or was already tried for this request."""


class HostPool:
    def __init__(
        self,
        hosts: tuple[str, ...],
        *,
        failures: int,
        cooldown_s: float,
        probe: HostProbe,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hosts = [_Host(h) for h in hosts]
        self._failures, self._cooldown, self._probe, self._clock = failures, cooldown_s, probe, clock
        self._lock = threading.Lock()
        self._next = 0  # round-robin start

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(h.url for h in self._hosts)

    def acquire(self, model: str, tried: set[str]) -> str:
        """A host for one attempt at `model` (counted in flight until `release`), or NoHostAvailable."""
        while True:
            due: list[_Host] = []
            with self._lock:
                now = self._clock()
                ready: list[tuple[int, int, _Host]] = []
                for i, h in enumerate(self._hosts):
                    if h.url in tried:
                        continue
                    recheck = h.missing.get(model)
                    if (h.failures >= self._failures and h.open_until <= now) or (recheck is not None and recheck <= now):
                        due.append(h)
                    elif h.open_until <= now and recheck is None:
                        ready.append(((i - self._next) % len(self._hosts), i, h))
                if ready and not due:
                    _, i, best = min(ready, key=lambda r: (r[2].in_flight, r[0]))
                    best.in_flight += 1
                    self._next = (i + 1) % len(self._hosts)
                    return best.url
                if not due:
                    raise NoHostAvailable(self._why_none(model, tried))
                for h in due:  # probed once per cooldown: held back while the probe runs
                    if h.failures >= self._failures:
                        h.open_until = now + self._cooldown
                    if model in h.missing:
                        h.missing[model] = now + self._cooldown
            for h in due:
                self._reprobe(h, model)

    def _reprobe(self, host: _Host, model: str) -> None:
        verdict, detail = self._probe(host.url, model)
        with self._lock:
            now = self._clock()
            if verdict == "ok":
                host.failures, host.open_until, host.last_error = 0, 0.0, None
                host.missing.pop(model, None)
            elif verdict == "no model":
                host.missing[model] = now + self._cooldown
                host.failures, host.open_until, host.last_error = 0, 0.0, pull_hint(host.url, model)
            else:
                host.open_until, host.last_error = now + self._cooldown, f"probe: {detail}"

    def abandon(self, host: str) -> None:
        """One attempt on `host` ended by its caller, not by the host (cancelled, or a bug above the wire): no
        longer in flight, and nothing counted for or against the host."""
        with self._lock:
            h = self._find(host)
            h.in_flight = max(0, h.in_flight - 1)

    def release(self, host: str, *, ok: bool, error: str | None = None, missing_model: str | None = None) -> None:
        """One attempt on `host` ended: answered, failed (counts toward its breaker), or the model is not there."""
        with self._lock:
            h = self._find(host)
            h.in_flight = max(0, h.in_flight - 1)
            now = self._clock()
            if missing_model is not None:
                h.missing[missing_model] = now + self._cooldown
                h.last_error = pull_hint(host, missing_model)
            elif ok:
                h.failures, h.answered = 0, h.answered + 1
            else:
                h.failures += 1
                h.last_error = error
                if h.failures >= self._failures:
                    h.open_until = now + self._cooldown

    def status(self) -> tuple[HostStatus, ...]:
        with self._lock:
            now = self._clock()
            return tuple(
                HostStatus(
                    host=h.url,
                    state="open" if h.open_until > now else ("no model" if h.missing else "ok"),
                    in_flight=h.in_flight,
                    answered=h.answered,
                    failures=h.failures,
                    last_error=h.last_error,
                )
                for h in self._hosts
            )

    def _find(self, host: str) -> _Host:
        for h in self._hosts:
            if h.url == host:
                return h
        raise KeyError(host)

    def _why_none(self, model: str, tried: set[str]) -> str:
        now = self._clock()
        parts = []
        for h in self._hosts:
            if h.url in tried:
                parts.append(f"{h.url} failed for this request ({h.last_error or 'no answer'})")
            elif model in h.missing:
                parts.append(pull_hint(h.url, model))
            elif h.open_until > now:
                parts.append(f"{h.url} skipped for {h.open_until - now:.0f} s more after {h.failures} failures ({h.last_error})")
        return "no Ollama host of the pool can take this request: " + "; ".join(parts)
