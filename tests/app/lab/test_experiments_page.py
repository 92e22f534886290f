"""The Experiments page in Streamlit's AppTest with an injected fake service: it runs an experiment on a
button press and shows the chart and tables; it imports nothing but app.*, streamlit and pandas."""

from __future__ import annotations

import ast
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.lab.conftest import GOOD

SCRIPT = """
import streamlit as st
from views.experiments import render
render(st.session_state["svc"])
"""


def test_page_runs_an_experiment_and_shows_results(service) -> None:
    svc, _ = service("Yes, it is reasonable.", "Which plan?", *[GOOD] * 10)
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    at.session_state["svc"] = svc
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Latency variance", "Non-determinism", "Over-inference"]
    assert any("Not run yet" in i.value for i in at.info)
    at.number_input(key="lab_n_overinference").set_value(2)
    at.button(key="lab_run_overinference").click().run()
    assert not at.exception and not at.error
    assert len(at.dataframe) >= 2  # summary + rows
    assert any("invented" in c.value for c in at.caption)


def test_page_imports_only_app_views_streamlit_pandas_matplotlib() -> None:
    tree = ast.parse((Path(__file__).resolve().parents[3] / "views" / "experiments.py").read_text(encoding="utf-8"))
    roots = {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    roots |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert roots <= {"__future__", "typing", "app", "views", "streamlit", "pandas", "matplotlib"}


def test_page_speaks_chinese_when_the_session_does(service) -> None:
    svc, _ = service("Yes, it is reasonable.", "Which plan?")
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    at.session_state["svc"] = svc
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["延迟波动", "输出不确定性", "过度推断"]
    assert at.button(key="lab_run_latency").label == "运行"
    assert any("尚未运行" in i.value for i in at.info)
