"""Experiments page: runs the lab's three experiments (latency, non-determinism, over-inference) with a small N
and shows their charts and tables. A thin view: the experiments live in app.lab; only app.*, streamlit and
pandas are imported here (no LangChain, no Chroma).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.lab import EXPERIMENTS, LabResult, run_experiment

TITLES = {"latency": "Latency variance", "nondeterminism": "Non-determinism", "overinference": "Over-inference"}
DESCRIPTIONS = {
    "latency": "The same request (answer prompt, retrieved passages, JSON schema) N times: the spread of latency, "
    "p50/p95, the first call on a freshly loaded model vs later ones, and what a timeout at p95 would cut.",
    "nondeterminism": 'The same "give me a JSON object with name and age" prompt N times, raw vs guarded '
    "(JSON-schema `format` + parse ladder): distinct outputs, parse failures, field-order changes, prose around the JSON.",
    "overinference": "Vague prompts that leave out what they are about. Raw: the model alone, does it invent the "
    "missing context? Guarded: the completeness guardrail asks for it, with no model call.",
}
SMALL_N = {"latency": 5, "nondeterminism": 5, "overinference": 4}  # interactive: seconds, not minutes


def render(svc: Any) -> None:
    st.header("Experiments")
    st.caption(
        "Raw model vs guarded chain on this app's backend, measured now. N is kept small here; "
        "`guarded-rag lab <experiment> --n N` runs the full version and writes a report."
    )
    for tab, name in zip(st.tabs([TITLES[n] for n in EXPERIMENTS]), EXPERIMENTS, strict=True):
        with tab:
            _experiment(svc, name)


def _experiment(svc: Any, name: str) -> None:
    st.write(DESCRIPTIONS[name])
    n = st.number_input("N", min_value=1, max_value=50, value=SMALL_N[name], key=f"lab_n_{name}")
    if st.button("Run", key=f"lab_run_{name}"):
        with st.spinner(f"Running {TITLES[name].lower()} (N={int(n)})…"):
            try:
                st.session_state[f"lab_result_{name}"] = run_experiment(svc, name, n=int(n))
            except Exception as exc:  # noqa: BLE001 - a failed experiment is shown, never a crashed page
                st.error(f"The experiment failed: {type(exc).__name__}: {str(exc)[:300]}")
    result: LabResult | None = st.session_state.get(f"lab_result_{name}")
    if result is None:
        st.info("Not run yet in this session.")
        return
    _show(result)


def _show(result: LabResult) -> None:
    report = result.report
    st.image(result.png, caption=f"{report.title} · {report.backend}/{report.model}")
    # Values are mixed (numbers, None, text): strings keep the Arrow conversion happy.
    summary = pd.DataFrame([{"measure": k, "value": "—" if v is None else str(v)} for k, v in report.summary.items()])
    st.dataframe(summary, hide_index=True, width="stretch")
    for note in report.notes:
        st.caption(note)
    if report.rows:
        with st.expander(f"All {len(report.rows)} rows"):
            st.dataframe(pd.DataFrame([{k: _cell(v) for k, v in row.items()} for row in report.rows]), hide_index=True, width="stretch")


def _cell(value: Any) -> Any:
    return value if isinstance(value, int | float | bool) or value is None else str(value)
