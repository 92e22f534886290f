"""Policies in and out of the lab: edits (thresholds and enabled flags from a form) validated the way the Settings
page validates them, and a policy written as TOML that GUARDED_RAG_POLICY (or `policy replay --policy`) loads.

TOML is written with tomli-w (tomllib only reads). Part of the policy lab (app/lab/policy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w

from app import GuardrailPolicy, PolicyError, load_policy

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
    check_disabled(edited, changed)  # a value typed into a disabled guardrail is checked too
    return edited, changed


def load_checked_policy(path: Path) -> GuardrailPolicy:
    """The policy file at `path` (load_policy), with the values of its disabled guardrails checked too: PolicyError
    names the file and the key."""
    policy = load_policy(path)
    try:
        check_disabled(policy)
    except PolicyError as exc:
        raise PolicyError(f"{exc} (in {path})") from None
    return policy


def check_disabled(policy: GuardrailPolicy, names: Iterable[str] | None = None) -> None:
    """PolicyError naming the guardrail and key when a guardrail the policy disables (of `names`, default all)
    has an invalid value. Loading a policy validates only the guardrails it runs: a typo or an out-of-range
    value under `enabled = false` went unnoticed until someone enabled it, and then stopped the app."""
    for name in policy.guardrails if names is None else names:
        if policy.is_enabled(name):
            continue
        try:
            policy.with_overrides({name: {"enabled": True}})
        except PolicyError as exc:
            raise PolicyError(
                f"{exc} ([guardrails.{name}] has enabled = false; its values are checked all the same, so that "
                "enabling it cannot fail)"
            ) from None


def policy_toml(policy: GuardrailPolicy, *, note: str = "") -> str:
    """The whole policy as TOML (every guardrail it names, enabled flag first)."""
    table = {"guardrails": {name: values_of(policy, name) for name in policy.guardrails}}
    comment = "".join(f"# {line}\n" for line in note.splitlines() if line.strip())
    return HEADER + comment + "\n" + tomli_w.dumps(table)
