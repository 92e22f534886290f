"""Experiments page: runs the lab's three experiments (latency, non-determinism, over-inference) with a small N
and shows their charts and tables, in the session's language, with the session's options (the Settings page's
model, sampling and policy). A thin view: the experiments live in app.lab;
only app.*, views.*, streamlit and pandas are imported here (no LangChain, no Chroma).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import EXPERIMENTS, LabResult, run_experiment
from views.i18n import t
from views.state import options
from views.tables import table
from views.text import error_text, safe_md

SMALL_N = {"latency": 5, "nondeterminism": 5, "overinference": 4}  # interactive: seconds, not minutes


def render(svc: Any) -> None:
    st.header(t("page.experiments"))
    st.caption(t("lab.caption"))
    for tab, name in zip(st.tabs([t(f"lab.title.{n}") for n in EXPERIMENTS]), EXPERIMENTS, strict=True):
        with tab:
            _experiment(svc, name)


def _experiment(svc: Any, name: str) -> None:
    st.write(t(f"lab.desc.{name}"))
    # persist_state: the N chosen is still set when the page is opened again (Streamlit forgets the value of a
    # widget a run does not draw: after a visit to another page it was back at its default).
    n = st.number_input(t("lab.n"), min_value=1, max_value=50, value=SMALL_N[name], key=f"lab_n_{name}", persist_state="session")
    if st.button(t("lab.run"), key=f"lab_run_{name}"):
        with st.spinner(t("lab.running", name=t(f"lab.title.{name}"), n=int(n))):
            try:
                st.session_state[f"lab_result_{name}"] = run_experiment(svc, name, n=int(n), options=options())
            except Exception as exc:
                st.error(t("lab.failed", error=safe_md(error_text(exc, hide=svc.hide_paths))))
    result: LabResult | None = st.session_state.get(f"lab_result_{name}")
    if result is None:
        st.info(t("lab.not_run"))
        return
    _show(result)


def _show(result: LabResult) -> None:
    report = result.report
    title = t(f"lab.heading.{report.name}", default=report.title)
    st.image(result.png, caption=f"{title} · {report.backend}/{report.model}")
    # Labels and notes in the session's language (views/i18n.py: lab.measure.<experiment>.<key>, lab.note.<key>);
    # values are mixed (numbers, None, text): strings keep the Arrow conversion happy.
    table(
        [
            {t("lab.measure"): t(f"lab.measure.{report.name}.{k}", default=k), t("lab.value"): "—" if v is None else str(v)}
            for k, v in report.summary.items()
        ]
    )
    for note in report.notes:
        st.caption(t(f"lab.note.{note.key}", default=note.text, **note.values))
    if report.rows:
        with st.expander(t("lab.rows", n=len(report.rows))):
            table([{k: _cell(v) for k, v in row.items()} for row in report.rows])


def _cell(value: Any) -> Any:
    return value if isinstance(value, int | float | bool) or value is None else str(value)
