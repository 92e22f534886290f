"""Policies in and out of the lab: edits (thresholds and enabled flags from a form) validated the way the Settings
page validates them, and a policy written as TOML that GUARDED_RAG_POLICY (or `policy replay --policy`) loads.

TOML is written with tomli-w (tomllib only reads). Part of the policy lab (app/lab/policy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomli_w

from app import GuardrailPolicy

HEADER = "# Guardrail policy written by the guarded-rag policy lab. Use it with GUARDED_RAG_POLICY=<this file>.\n"


def values_of(policy: GuardrailPolicy, name: str) -> dict[str, Any]:
    """A guardrail's editable values: its enabled flag and the parameters the policy sets."""
    return {"enabled": policy.is_enabled(name), **policy.params(name)}


def edited_policy(
    base: GuardrailPolicy, edits: Mapping[str, Mapping[str, Any]]
) -> tuple[GuardrailPolicy, dict[str, dict[str, Any]]]:
    """`base` with the values in `edits` that differ from it, validated (PolicyError, a ValueError, names the
    guardrail and field), and those differences."""
    changed: dict[str, dict[str, Any]] = {}
    for name, values in edits.items():
        current = values_of(base, name)
        diff = {k: v for k, v in values.items() if current.get(k) != v}
        if diff:
            changed[name] = diff
    edited = base.with_overrides(changed) if changed else base
    return edited, changed


def policy_toml(policy: GuardrailPolicy, *, note: str = "") -> str:
    """The whole policy as TOML (every guardrail it names, enabled flag first)."""
    table = {"guardrails": {name: values_of(policy, name) for name in policy.guardrails}}
    comment = "".join(f"# {line}\n" for line in note.splitlines() if line.strip())
    return HEADER + comment + "\n" + tomli_w.dumps(table)
