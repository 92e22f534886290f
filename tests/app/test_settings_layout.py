"""app/settings/ is five parts behind one facade: the model (its fields declared by job), what a value means, what a
request may change, the variables' names, the sources. The facade keeps every name the repository imports from
app.settings, and the parts point one way (sources -> model -> fields and values, requests -> names)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import app.settings
from app.settings import Settings, env_name
from app.settings.names import env_var

ROOT = Path(__file__).resolve().parents[2]
PARTS = ROOT / "app" / "settings"
FIELDS = {"app.settings.app_fields", "app.settings.serve_fields", "app.settings.trace_fields"}


def _imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            found += [(a.name, ()) for a in node.names]
    return found


def _python_files() -> list[Path]:
    folders = ("app", "chains", "guardrails", "views", "bench", "tests")
    return [ROOT / "streamlit_app.py", *(p for folder in folders for p in sorted((ROOT / folder).glob("**/*.py")))]


def test_every_name_imported_from_app_settings_is_still_there() -> None:
    wanted = {
        name
        for path in _python_files()
        if path.exists()
        for module, names in _imports(path)
        if module == "app.settings"
        for name in names
    }
    assert {"Settings", "SettingsError", "REQUEST_FIELDS", "load_settings"} <= wanted  # the scan sees the importers
    assert sorted(wanted - set(app.settings.__all__)) == []
    assert all(hasattr(app.settings, name) for name in app.settings.__all__)


@pytest.mark.parametrize(
    ("part", "may_import"),
    [
        ("names", set()),
        ("values", set()),
        ("requests", {"app.settings.names"}),
        ("app_fields", set()),
        ("serve_fields", set()),
        ("trace_fields", set()),
        ("model", {"app.settings.values", "app.settings.requests", *FIELDS}),
        ("sources", {"app.settings.model", "app.settings.names"}),
    ],
)
def test_the_parts_point_one_way(part: str, may_import: set[str]) -> None:
    # The facade (app.settings itself) imports all three: a part importing it, or one above it, is a cycle.
    inside = {
        module for module, _ in _imports(PARTS / f"{part}.py") if module == "app.settings" or module.startswith("app.settings.")
    }
    assert inside <= may_import, f"app/settings/{part}.py imports {sorted(inside - may_import)}"


def test_the_model_names_the_variable_the_sources_read() -> None:
    # for_request's message names env_var(field); load_settings reads env_name(field): one rule for both.
    assert all(env_name(field) == env_var(field) for field in Settings.model_fields)
    with pytest.raises(KeyError):
        env_name("no_such_setting")
