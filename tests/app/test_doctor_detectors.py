"""`guarded-rag doctor` on the semantic input detectors: what they learned from, and a PROBLEM with a fix when
they are unavailable or the team's labelled sets are missing (the injection guard then runs on patterns alone)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from app.doctor import run_doctor
from app.doctor_check import Check
from app.documents.index_types import IndexStats
from app.models.backend import BackendChoice
from app.settings import Settings
from app.signals.input_detectors import DetectorStatus

CHOICE = BackendChoice(kind="embedded", model="m", reason="test", fix=None, host="http://127.0.0.1:11434")
BUILT = (DetectorStatus(name="injection_semantic", exemplars=12), DetectorStatus(name="vagueness_semantic", exemplars=9))


def no_index() -> IndexStats:
    raise RuntimeError("no index here")  # its own check reports it; these tests read the detectors' check


def check(settings: Settings, detectors: Sequence[DetectorStatus] | Exception) -> Check:
    def build() -> Sequence[DetectorStatus]:
        if isinstance(detectors, Exception):
            raise detectors
        return detectors

    report = run_doctor(settings=settings, choice=CHOICE, index_stats=no_index, trace_count=lambda: 0, detectors=build)
    return next(c for c in report.checks if c.name == "input detectors")


@pytest.fixture
def sets(tmp_path: Path) -> Settings:
    (tmp_path / "eval").mkdir()
    (tmp_path / "shared").mkdir()
    return Settings(home=tmp_path / "home", labelled_data=tmp_path / "eval", shared_data=tmp_path / "shared")


def test_built_detectors_say_what_they_learned_from(sets: Settings) -> None:
    found = check(sets, BUILT)
    assert found.ok and found.fix is None
    assert found.detail == (
        f"injection_semantic: 12 exemplars; vagueness_semantic: 9 exemplars (learned from {sets.labelled_data} and {sets.shared_data})"
    )


def test_without_the_shared_sets_they_learn_from_the_team_sets_and_say_so(sets: Settings) -> None:
    team_only = sets.model_copy(update={"shared_data": sets.home / "no-shared"})
    found = check(team_only, BUILT)
    assert found.ok and f"({team_only.shared_data} not found: team sets only)" in found.detail


def test_missing_team_sets_are_a_problem_with_a_fix(sets: Settings) -> None:
    moved = sets.model_copy(update={"labelled_data": sets.home / "gone"})
    found = check(moved, BUILT)
    assert not found.ok and f"{moved.labelled_data} NOT FOUND" in found.detail
    assert found.fix is not None and "GUARDED_RAG_LABELLED_DATA" in found.fix and str(moved.labelled_data) in found.fix


def test_an_unavailable_detector_is_a_problem(sets: Settings) -> None:
    found = check(sets, (BUILT[0], DetectorStatus(name="vagueness_semantic", error="DetectorUnavailable: no data")))
    assert not found.ok and "vagueness_semantic: unavailable (DetectorUnavailable: no data)" in found.detail


def test_a_detector_build_that_raises_is_reported_not_raised(sets: Settings) -> None:
    found = check(sets, RuntimeError("disk full"))
    assert not found.ok and "unavailable (RuntimeError: disk full)" in found.detail


def test_an_embedder_without_detectors_is_fine_and_says_the_patterns_decide(sets: Settings) -> None:
    found = check(sets.model_copy(update={"embedder": "ollama"}), ())
    assert found.ok and "patterns alone" in found.detail and "'ollama'" in found.detail
