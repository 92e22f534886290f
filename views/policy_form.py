"""View layer: the guardrail form shared by the Settings page and the What-if panel: one input per enabled flag
and parameter, typed like the policy's current value. Validation happens in the app (GuardrailPolicy)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import GuardrailPolicy
from views.i18n import t


def number_input(label: str, value: Any, key: str, **kw: Any) -> Any:
    if isinstance(value, bool):
        return st.checkbox(label, value=value, key=key)
    if isinstance(value, int):
        return st.number_input(label, value=value, step=1, key=key, **kw)
    if isinstance(value, float):
        return st.number_input(label, value=value, step=0.05, format="%.2f", key=key, **kw)
    return st.text_input(label, value=str(value), key=key)


def guardrail_inputs(policy: GuardrailPolicy, prefix: str) -> dict[str, dict[str, Any]]:
    """The form's values: guardrail -> {enabled, params...} (widget keys start with `prefix`)."""
    out: dict[str, dict[str, Any]] = {}
    for name in policy.guardrails:
        values = {"enabled": policy.is_enabled(name), **policy.params(name)}
        with st.container(border=True):
            st.markdown(f"**{name}** — " + t(f"guard_desc.{name}", default=""))
            cols = st.columns(3)
            out[name] = {}
            for i, (param, value) in enumerate(values.items()):
                with cols[i % 3]:
                    out[name][param] = number_input(param, value, key=f"{prefix}-{name}-{param}")
    return out
