"""Writing a guardrail policy TOML (the format of guardrails/default_policy.toml) with calibrated values.

App layer (lab). Hand-written because the standard library reads TOML but does not write it, and a policy is
only tables of scalars: a few lines here are simpler than a dependency. Anything else is refused loudly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from app import GuardrailPolicy


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string
    raise TypeError(f"cannot write {type(value).__name__} values to a policy TOML: {value!r}")


def policy_toml(policy: GuardrailPolicy, *, header: Iterable[str] = ()) -> str:
    lines = [f"# {line}" if line else "#" for line in header]
    for name, entry in policy.guardrails.items():
        lines += ["", f"[guardrails.{name}]", f"enabled = {_value(entry.enabled)}"]
        lines += [f"{key} = {_value(value)}" for key, value in (entry.model_extra or {}).items()]
    return "\n".join(lines).lstrip("\n") + "\n"
