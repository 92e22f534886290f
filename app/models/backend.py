"""Choosing the model backend: probe Ollama, then answer with it or with the embedded SmolLM2, and say why.

Composition-root code: reads Settings and talks to Ollama's HTTP API only to look (version, tags). Building
the ChatOllama for the chosen backend is app.models.factory's job.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel, ConfigDict

from app.embedded.gguf import embedded_model_name
from app.models.factory_types import BackendKind
from app.models.probe import OllamaProbe, probe_ollama, resolve_model

__all__ = [
    "BackendChoice",
    "OllamaProbe",
    "Probe",
    "choose_backend",
    "probe_ollama",
    "resolve_model",
]  # the probe moved to probe.py; importers keep this path
from app.settings import Settings


class BackendChoice(BaseModel):
    """Which backend answers, with the reason in plain words and the one-line fix when there is one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: BackendKind
    model: str
    reason: str
    fix: str | None = None
    host: str
    probe: OllamaProbe | None = None


Probe = Callable[[str, str], OllamaProbe]


def _embedded_label(settings: Settings) -> str:
    return "SmolLM2-135M" if settings.gguf is None else f"model {embedded_model_name(settings.gguf)}"


def _probe_pool(hosts: tuple[str, ...], wanted: str, probe: Probe) -> tuple[OllamaProbe, str]:
    """Every host of a pool probed at once: the first that has the model (else the first reachable one, else the
    first), and one line on each host."""
    with ThreadPoolExecutor(max_workers=len(hosts)) as workers:
        found = list(workers.map(lambda h: probe(h, wanted), hosts))
    lines = []
    for f in found:
        if f.has_model:
            lines.append(f"{f.host}: ok")
        elif not f.reachable:
            lines.append(f"{f.host}: not reachable")
        else:
            lines.append(f"{f.host}: {f.error or 'no ' + wanted + ' (run `ollama pull ' + wanted + '` there)'}")
    best = next((f for f in found if f.has_model), None) or next((f for f in found if f.reachable), found[0])
    have = sum(1 for f in found if f.has_model)
    return best, f"pool of {len(hosts)} Ollama hosts, {have} with {wanted} ({'; '.join(lines)})"


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
    pool = ""
    if len(settings.hosts) > 1:  # the choice is Ollama when any host has the model; the pool routes each request
        found, pool = _probe_pool(settings.hosts, wanted, probe)
        host = found.host
    else:
        found = probe(host, wanted)
    pull = f"ollama pull {wanted}"
    if found.has_model and found.resolved_model:
        return BackendChoice(
            kind="ollama",
            model=found.resolved_model,
            host=host,
            probe=found,
            reason=f"Ollama {pool}" if pool else f"Ollama at {host} has {found.resolved_model}",
        )
    if pool:
        host = ", ".join(settings.hosts)
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
