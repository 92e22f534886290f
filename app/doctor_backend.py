"""`guarded-rag doctor`'s checks of the backend that answers: which one and why (a problem when Ollama was wanted
and cannot serve the model), an Ollama too old for JSON-schema answers, and a host whose port was implied."""

from __future__ import annotations

from collections.abc import Sequence

from app.doctor_check import Check
from app.embedded.gguf import normalize_name
from app.hosts import implied_port_note
from app.models.backend import BackendChoice
from app.models.info import SCHEMA_FORMAT_SINCE, supports_schema_format
from app.settings import Settings


def backend_checks(settings: Settings, choice: BackendChoice) -> list[Check]:
    """The backend that answers (probed by the caller), then notes on how it is reached (never problems)."""
    checks = [_backend_check(settings, choice)]
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
    return checks


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
