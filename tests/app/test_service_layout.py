"""The service is a composition root (app/service.py: GuardedRAG built from Settings, derived for a profile) over
one module per job (app/service_*.py: the state and close, request options, models, readiness, ask, screening, the
raw model, the index, ingest, uploads). The parts point one way: none imports the assembler (a cycle) or anything
above the service, and the parts the service is built from (components, asking) import none of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_architecture import imports_of

ROOT = Path(__file__).resolve().parents[2]
PARTS = sorted((ROOT / "app").glob("service_*.py"))
ABOVE = ("app.service", "app.doctor", "app.lab", "app.cli", "app.serve", "app.fakes")
JOBS = {"state", "options", "models", "readiness", "ask", "screen", "raw", "index", "ingest", "uploads"}


def _imported(path: Path) -> set[str]:
    return {module for module, _ in imports_of(path)}


def test_each_job_of_the_service_has_its_module() -> None:
    assert {p.stem.removeprefix("service_") for p in PARTS} >= JOBS


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.stem)
def test_a_part_imports_neither_the_assembler_nor_what_sits_above_it(part: Path) -> None:
    wrong = sorted(m for m in _imported(part) if any(m == a or m.startswith(a + ".") for a in ABOVE))
    assert not wrong, f"app/{part.name} imports {wrong}"


@pytest.mark.parametrize("below", ["components", "asking"])
def test_what_the_service_is_built_from_imports_none_of_its_parts(below: str) -> None:
    wrong = sorted(m for m in _imported(ROOT / "app" / f"{below}.py") if m == "app.service" or m.startswith("app.service_"))
    assert not wrong, f"app/{below}.py imports {wrong}"


def test_every_method_of_the_service_is_defined_by_one_part() -> None:
    from app.service import GuardedRAG

    parts = {f"app.{p.stem}" for p in PARTS}
    owners = {
        name: [klass.__module__ for klass in GuardedRAG.__mro__ if name in vars(klass)]
        for name in dir(GuardedRAG)
        if not name.startswith("__")
    }
    assert {name for name, where in owners.items() if len(where) != 1} == set()
    assert {where[0] for where in owners.values()} <= parts | {"app.service"}
    # the assembler keeps only what builds the service: the parts hold every other method
    assert sorted(name for name, where in owners.items() if where == ["app.service"]) == ["derive"]


def test_the_names_imported_from_app_service_are_still_there() -> None:
    import app.service

    assert {"GuardedRAG", "ModelRef", "RawAnswer", "ServiceClosedError", "EXPECTED_ERRORS", "Observer"} <= set(
        app.service.__all__
    )
    assert all(hasattr(app.service, name) for name in app.service.__all__)
