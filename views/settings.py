"""View layer: the Settings page — per-session backend, models, sampling, retries, budget, guardrails and
chaos mode. Values are validated by Settings / GuardrailPolicy / ChaosConfig (via views.options) and
applied to this session's AskOptions only; a bad value shows its message and nothing changes.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import GuardedRAG
from views import state
from views.i18n import t
from views.options import FAULTS, build_options, error_message
from views.policy_form import guardrail_inputs, number_input
from views.text import safe_md


def _model_list(svc: GuardedRAG, current: str) -> list[str]:
    if st.button(t("set.list_models"), icon=":material/refresh:"):
        found = svc.probe_ollama(model=current)
        models, problem = found.models, found.error
        st.session_state["ollama_models"] = list(models)
        if problem:
            st.warning(t("set.ollama_unreachable", host=safe_md(svc.settings.ollama_host), error=safe_md(problem)))
    probe = svc.backend().probe
    known = st.session_state.get("ollama_models") or list(getattr(probe, "models", ()) or ())
    return list(dict.fromkeys([current, *known]))


def _chaos(current: dict[str, Any] | None, v: int) -> dict[str, Any] | None:
    st.subheader(t("set.chaos"))
    st.caption(t("set.chaos_help"))
    on = st.toggle(t("set.chaos_on"), value=current is not None, key=f"c-{v}-on")
    c = current or {}
    rate = st.slider(t("set.chaos_rate"), 0.0, 1.0, float(c.get("rate", 0.5)), 0.05, key=f"c-{v}-rate")
    faults = st.multiselect(t("set.chaos_faults"), list(FAULTS), default=list(c.get("faults", FAULTS)), key=f"c-{v}-faults")
    latency = st.number_input(t("set.chaos_latency"), value=float(c.get("latency_s", 3.0)), step=0.5, key=f"c-{v}-lat")
    return {"rate": rate, "faults": faults, "latency_s": latency} if on else None


def render(svc: GuardedRAG) -> None:
    st.title(t("set.title"))
    st.caption(t("set.scope"))
    opts = state.options()
    settings, policy = svc.effective(opts)
    v = st.session_state.setdefault("settings_v", 0)  # bumped on reset so widgets take the defaults again
    models = _model_list(svc, settings.model)
    with st.form("settings"):
        st.subheader(t("set.model"))
        c1, c2, c3 = st.columns(3)
        values: dict[str, Any] = {
            "backend": c1.selectbox(
                t("set.backend"),
                ["auto", "ollama", "embedded"],
                index=["auto", "ollama", "embedded"].index(settings.backend),
                key=f"s-{v}-backend",
            ),
            "model": c2.selectbox(t("set.model_name"), models, accept_new_options=True, key=f"s-{v}-model"),
            "fallback_model": c3.text_input(t("set.fallback"), value=settings.fallback_model or "", key=f"s-{v}-fallback"),
        }
        cols = st.columns(3)
        for i, field in enumerate(("temperature", "retries", "reasks", "latency_budget", "timeout", "top_k")):
            with cols[i % 3]:
                values[field] = number_input(t(f"set.{field}"), getattr(settings, field), key=f"s-{v}-{field}")
        st.subheader(t("set.guardrails"))
        guards = guardrail_inputs(policy, f"g-{v}")
        chaos = _chaos(opts.chaos, v)
        applied = st.form_submit_button(t("set.apply"), type="primary", icon=":material/check:")
    if applied:
        try:
            new = build_options(
                svc.settings, svc.policy, settings=values, guardrails=guards, chaos=chaos, session=state.session_id()
            )
        except ValueError as exc:
            st.error(t("set.invalid", error=safe_md(error_message(exc))), icon=":material/error:")
        else:
            state.set_options(new)
            st.success(t("set.applied"), icon=":material/check:")
    if st.button(t("set.reset"), icon=":material/restart_alt:"):
        state.set_options(state.options().model_copy(update={"settings": {}, "guardrails": {}, "chaos": None}))
        st.session_state["settings_v"] = v + 1
        st.rerun()
    with st.expander(t("set.active")):
        st.json(state.options().model_dump(mode="json"))
