"""`guarded-rag doctor` is an orchestrator (app/doctor.py) over one module of checks per part (app/doctor_*.py).
The parts point one way: none imports the orchestrator (a cycle) or anything above it (the service, the lab, the
CLI, the server): doctor checks what it is given and never builds a service."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_architecture import imports_of

ROOT = Path(__file__).resolve().parents[2]
PARTS = sorted((ROOT / "app").glob("doctor_*.py"))
ABOVE = ("app.doctor", "app.service", "app.lab", "app.cli", "app.serve")


def _imported(path: Path) -> set[str]:
    return {module for module, _ in imports_of(path)}


def test_each_part_of_doctor_has_its_module() -> None:
    names = {p.stem for p in PARTS}
    assert {"doctor_backend", "doctor_index", "doctor_traces", "doctor_detectors", "doctor_models", "doctor_check"} <= names


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.stem)
def test_a_part_imports_neither_the_orchestrator_nor_what_sits_above_it(part: Path) -> None:
    wrong = sorted(m for m in _imported(part) if any(m == a or m.startswith(a + ".") for a in ABOVE))
    assert not wrong, f"app/{part.name} imports {wrong}"


def test_the_orchestrator_keeps_its_public_names() -> None:
    import app.doctor

    assert {"DoctorReport", "run_doctor", "index_backend_check"} <= set(app.doctor.__all__)
    assert all(callable(getattr(app.doctor, name)) for name in app.doctor.__all__)
