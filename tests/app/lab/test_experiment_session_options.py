"""The lab experiments run with a session's AskOptions (the Experiments page passes them): the model, sampling,
deadlines and guardrail policy the session picked reach the raw model calls and the guarded side, not the
service's defaults. The CLI's call without options keeps the service's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import AskOptions, BackendChoice, Settings
from app.lab.experiments import run_experiment
from tests.app.lab.conftest import GOOD
from tests.fake_service import FakeModelFactory, make_service

BASE = "base:7b"  # the service's own model
OTHER = "other:1b"  # the session's
SESSION = AskOptions(settings={"model": OTHER, "temperature": 0.9, "timeout": 7.0, "seed": 5})


def by_model(settings: Settings) -> BackendChoice:
    """An Ollama choice that names the settings' model (as the real probe does for an installed model)."""
    return BackendChoice(kind="ollama", model=settings.model, reason="test: ollama", fix=None, host=settings.ollama_host)


def service(tmp_path: Path, replies: list[object]):
    # Only OTHER has a script: a call on the service's own model (BASE) fails loudly on its empty script.
    return make_service(tmp_path, scripts={OTHER: replies}, choose=by_model, model=BASE)


def called(factory: FakeModelFactory) -> set[str]:
    return {name for name, llm in factory.models.items() if llm.calls}


def test_latency_uses_the_sessions_model_and_deadline(tmp_path: Path) -> None:
    svc, factory = service(tmp_path, [GOOD] * 3)
    factory.fresh_factory = FakeModelFactory(scripts={OTHER: [GOOD] * 2})
    report = run_experiment(svc, "latency", n=2, options=SESSION).report
    assert (report.backend, report.model) == ("ollama", OTHER)
    assert called(factory) == {OTHER} and factory.models[OTHER].remaining == 0
    assert called(factory.fresh_factory) == {OTHER} and factory.fresh_factory.models[OTHER].remaining == 0
    assert report.summary["configured_timeout_s"] == 7.0


def test_nondeterminism_uses_the_sessions_model_and_sampling(tmp_path: Path) -> None:
    svc, factory = service(tmp_path, ['{"name": "Ann", "age": 3}'] * 4)
    report = run_experiment(svc, "nondeterminism", n=2, options=SESSION).report
    assert report.model == OTHER and called(factory) == {OTHER} and BASE not in factory.models
    assert report.params["temperature"] == 0.9
    assert any(n.values == {"temperature": 0.9, "seed": 5} for n in report.notes)


def test_overinference_uses_the_sessions_model_and_policy(tmp_path: Path) -> None:
    svc, factory = service(tmp_path, ["Sure, it is fine.", "Sure."])
    report = run_experiment(svc, "overinference", n=2, options=SESSION).report
    assert report.model == OTHER and called(factory) == {OTHER} and BASE not in factory.models
    assert [r["guarded_status"] for r in report.rows] == ["clarify", "clarify"]
    # The session's policy reaches the guarded side: a tighter input_size refuses the prompts it clarified.
    svc2, _ = make_service(tmp_path / "b", scripts={OTHER: ["Sure."] * 2}, choose=by_model, model=BASE)
    tight = SESSION.model_copy(update={"guardrails": {"input_size": {"max_chars": 10}}})
    rows = run_experiment(svc2, "overinference", n=2, options=tight).report.rows
    assert [r["guarded_status"] for r in rows] == ["refused", "refused"]


def test_without_options_the_services_settings_apply(tmp_path: Path) -> None:
    svc, factory = make_service(tmp_path, scripts={BASE: ["Sure.", "Which plan?"]}, choose=by_model, model=BASE)
    report = run_experiment(svc, "overinference", n=2).report
    assert report.model == BASE and called(factory) == {BASE} and OTHER not in factory.models


def test_options_the_service_cannot_apply_are_an_error(tmp_path: Path) -> None:
    svc, _ = service(tmp_path, [])
    with pytest.raises(ValueError, match="cannot be changed per request"):
        run_experiment(svc, "latency", n=1, options=AskOptions(settings={"collection": "another"}))
