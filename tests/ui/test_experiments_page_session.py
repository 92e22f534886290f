"""The Experiments page runs with this session's options (the Settings page's model, sampling, policy) and
speaks the session's language in what the lab reports: title, summary labels and notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app import EXPERIMENTS, AskOptions, BackendChoice, Settings
from app.lab.experiments import run_experiment
from tests.fake_service import FakeModelFactory, make_service
from tests.ui.conftest import GOOD
from views.i18n import EN, ZH, translate

SCRIPT = """
import streamlit as st
from views.experiments import render
render(st.session_state["svc"])
"""
DEFAULT = "smollm2:135m"  # the fake service's embedded model
BASE = "base:7b"  # the service's own Ollama model
OTHER = "other:1b"  # the session's
REPLIES = {"latency": [GOOD] * 4, "nondeterminism": ['{"name": "Ann", "age": 3}'] * 4, "overinference": ["Sure."] * 2}


def by_model(settings: Settings) -> BackendChoice:
    return BackendChoice(kind="ollama", model=settings.model, reason="test: ollama", fix=None, host=settings.ollama_host)


def page(svc: Any, **state: Any) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    at.session_state["svc"] = svc
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    return at


def run(at: AppTest, name: str, n: int = 2) -> None:
    at.number_input(key=f"lab_n_{name}").set_value(n)
    at.button(key=f"lab_run_{name}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def image_captions(at: AppTest) -> list[str]:
    return [c for image in at.image for c in image.captions]


def test_the_page_runs_the_experiment_with_the_sessions_model(tmp_path: Path) -> None:
    # Only OTHER has a script: a call on the service's own model (BASE) fails loudly.
    svc, factory = make_service(tmp_path, scripts={OTHER: ["Sure, fine.", "Sure."]}, choose=by_model, model=BASE)
    at = page(svc, ask_options=AskOptions(settings={"model": OTHER}))
    run(at, "overinference")
    assert {name for name, llm in factory.models.items() if llm.calls} == {OTHER} and BASE not in factory.models
    assert any(OTHER in c and BASE not in c for c in image_captions(at)), image_captions(at)


def test_the_page_shows_the_lab_report_in_chinese(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path, scripts={DEFAULT: ["Sure, fine.", "Sure."]})
    at = page(svc, lang="zh")
    run(at, "overinference")
    assert any("过度推断" in c for c in image_captions(at)), image_captions(at)
    summary = at.dataframe[0].value
    labels = list(summary.iloc[:, 0])
    assert labels and all(_has_chinese(label) for label in labels), labels
    notes = [c.value for c in at.caption if c.value != translate("zh", "lab.caption")]
    assert notes and all(_has_chinese(n) for n in notes), notes
    assert not any("invented = a non-empty reply" in n for n in notes)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_measure_and_note_of_each_experiment_has_both_languages(tmp_path: Path, name: str) -> None:
    svc, factory = make_service(tmp_path, scripts={DEFAULT: REPLIES[name]})
    factory.fresh_factory = FakeModelFactory(scripts={DEFAULT: [GOOD] * 2})
    report = run_experiment(svc, name, n=1).report
    keys = [f"lab.heading.{name}"] + [f"lab.measure.{name}.{k}" for k in report.summary]
    keys += [f"lab.note.{note.key}" for note in report.notes]
    assert [k for k in keys if k not in EN or k not in ZH] == []
    for note in report.notes:  # the zh template takes the same values the lab gives (no KeyError, nothing left)
        assert "{" not in translate("zh", f"lab.note.{note.key}", **note.values)
        assert translate("en", f"lab.note.{note.key}", **note.values) == note.text


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
