"""View layer: pure helpers behind the Settings page: turn form values into validated per-session
AskOptions (only the values that differ from the process defaults) and errors into one readable line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app import ALL_FAULTS, AskOptions, ChaosConfig, GuardrailPolicy, Settings

SETTING_FIELDS = ("backend", "model", "fallback_model", "temperature", "retries", "reasks", "latency_budget", "timeout", "top_k")
FAULTS = ALL_FAULTS


def error_message(exc: Exception) -> str:
    """pydantic errors as 'field: message; ...'; anything else as its text."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())) or 'value'}: {e.get('msg', '')}" for e in errors())
        except (TypeError, AttributeError):
            pass
    return str(exc)


def _cleaned(name: str, value: Any) -> Any:
    """A typed model name as Ollama reads it: blanks around it (a paste) are no part of it (a fallback typed as
    " llama3.2:1b" was kept so and failed as a model Ollama does not have); a blank fallback is none."""
    if name not in ("model", "fallback_model") or not isinstance(value, str):
        return value
    value = value.strip()
    return None if name == "fallback_model" and not value else value


def guardrail_values(policy: GuardrailPolicy, name: str) -> dict[str, Any]:
    return {"enabled": policy.is_enabled(name), **policy.params(name)}


def build_options(
    base: Settings,
    policy: GuardrailPolicy,
    *,
    settings: Mapping[str, Any],
    guardrails: Mapping[str, Mapping[str, Any]],
    chaos: Mapping[str, Any] | None,
    session: str | None = None,
) -> AskOptions:
    """Validated AskOptions for one session; raises ValueError (with the offending field) on a bad value."""
    s_over = {k: _cleaned(k, v) for k, v in settings.items()}
    s_over = {k: v for k, v in s_over.items() if v != getattr(base, k)}
    base.with_overrides(**s_over)  # raises on a bad value: nothing is applied
    g_over: dict[str, dict[str, Any]] = {}
    for name, values in guardrails.items():
        current = guardrail_values(policy, name)
        diff = {k: v for k, v in values.items() if current.get(k) != v}
        if diff:
            g_over[name] = diff
    if g_over:
        policy.with_overrides(g_over)
    chaos_dict = dict(chaos) if chaos is not None else None
    if chaos_dict is not None:
        chaos_dict["faults"] = tuple(chaos_dict.get("faults", ()))
        if not chaos_dict["faults"]:
            raise ValueError("chaos: choose at least one fault")
        ChaosConfig.model_validate(chaos_dict)
        chaos_dict["faults"] = list(chaos_dict["faults"])
    return AskOptions(settings=s_over, guardrails=g_over, chaos=chaos_dict, session=session)
