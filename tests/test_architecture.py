"""Architecture rules as tests: imports point one way (views -> app -> chains -> guardrails), the parts inside
app/ point one way too, views/bench/lab reach the app only through its public API, nothing imports tests/
except tests, and there is no import cycle anywhere (TYPE_CHECKING and function-level imports included)."""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["views", "app", "chains", "guardrails"]  # views = the Streamlit pages (streamlit_app.py's layer)
FORBIDDEN = {
    "guardrails": {
        "app",
        "chains",
        "views",
        "streamlit_app",
        "langchain_core",
        "langchain_ollama",
        "chromadb",
        "streamlit",
        "httpx",
        "ollama",
        "numpy",
    },
    "chains": {"app", "views", "streamlit_app", "streamlit", "chromadb"},
    "app": {"views", "streamlit_app", "streamlit", "tests", "bench"},
    "views": {"langchain_core", "langchain_ollama", "chromadb", "chains", "guardrails", "llama_cpp", "tests"},
}
# Inside app/: a part may not import the parts listed (the service and its clients sit above the parts).
APP_PARTS_FORBIDDEN = {
    "app.documents": ("app.models", "app.service", "app.doctor", "app.lab", "app.cli", "app.fakes"),
    "app.models": ("app.documents", "app.service", "app.doctor", "app.lab", "app.cli", "app.fakes"),
    "app.embedded": ("app.documents", "app.models", "app.service", "app.doctor", "app.lab", "app.cli", "app.fakes"),
    "app.service": ("app.doctor", "app.lab", "app.cli", "app.serve", "app.fakes"),
    "app.components": ("app.service", "app.doctor", "app.lab", "app.cli", "app.serve", "app.fakes"),
    "app.asking": ("app.service", "app.doctor", "app.lab", "app.cli", "app.serve", "app.fakes"),
    "app.doctor": ("app.service", "app.lab", "app.cli"),
    "app.doctor_models": ("app.service", "app.lab", "app.cli", "app.doctor"),
    "app.doctor_backend": ("app.service", "app.lab", "app.cli", "app.serve", "app.doctor"),
    "app.doctor_index": ("app.service", "app.lab", "app.cli", "app.serve", "app.doctor"),
    "app.doctor_traces": ("app.service", "app.lab", "app.cli", "app.serve", "app.doctor"),
    "app.doctor_detectors": ("app.service", "app.lab", "app.cli", "app.serve", "app.doctor"),
    "app.doctor_check": ("app.service", "app.lab", "app.cli", "app.doctor", "app.models", "app.documents"),
    "app.settings": ("app.service", "app.documents", "app.models", "app.lab", "app.cli"),
    "app.contract": ("app.service", "app.documents", "app.models", "app.lab", "app.cli", "app.serve"),
    "app.conversation": ("app.service", "app.documents", "app.models", "app.lab", "app.cli", "app.serve"),
    "app.process": ("app.service", "app.documents", "app.models", "app.signals", "app.lab", "app.cli", "app.serve"),
    "app.traces": (
        "app.service",
        "app.documents",
        "app.models",
        "app.lab",
        "app.cli",
        "app.serve",
        "app.signals",
        "app.telemetry",
    ),
    "app.telemetry": (
        "app.service",
        "app.documents",
        "app.models",
        "app.lab",
        "app.cli",
        "app.serve",
        "app.signals",
        "app.doctor",
    ),
}
# Clients of the app that may reach it only through `from app import <public name>` (app.__all__), plus
# their own package.
API_CLIENTS = {"views": (), "bench": (), "app.lab": ("app.lab",), "app.cli": ("app.cli", "app.lab"), "app.serve": ("app.serve",)}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) for every import in the file, wherever it sits (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, tuple(a.name for a in node.names)))
    return found


def imported_roots(path: Path) -> set[str]:
    return {module.split(".")[0] for module, _ in imports_of(path)}


def files_of(layer: str) -> list[Path]:
    if layer == "views":
        return [p for p in [ROOT / "streamlit_app.py", *(ROOT / "views").glob("**/*.py")] if p.exists()]
    return sorted((ROOT / layer).glob("**/*.py"))


def first_party() -> list[Path]:
    return [p for layer in (*LAYERS, "bench") for p in files_of(layer)]


@cache
def public_api() -> dict[str, str]:
    import app

    return dict(app._EXPORTS)


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_down(layer: str):
    bad = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & FORBIDDEN[layer]) for p in files_of(layer)}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"imports pointing the wrong way or leaking dependencies: {bad}"


def test_guardrails_use_only_stdlib_and_pydantic():
    allowed = set(sys.stdlib_module_names) | {"pydantic", "guardrails", "__future__"}
    extra = {str(p.relative_to(ROOT)): sorted(imported_roots(p) - allowed) for p in files_of("guardrails")}
    assert not {k: v for k, v in extra.items() if v}


@pytest.mark.parametrize("part", sorted(APP_PARTS_FORBIDDEN))
def test_parts_of_app_point_one_way(part: str):
    bad = {}
    for path in files_of("app"):
        if not within(module_name(path), part):
            continue
        wrong = sorted({m for m, _ in imports_of(path) if any(within(m, f) for f in APP_PARTS_FORBIDDEN[part])})
        # `from app import X` is the public facade: it counts as importing wherever X is defined.
        wrong += sorted(
            {
                public_api()[n]
                for m, names in imports_of(path)
                if m == "app"
                for n in names
                if any(within(public_api().get(n, ""), f) for f in APP_PARTS_FORBIDDEN[part])
            }
        )
        if wrong:
            bad[str(path.relative_to(ROOT))] = wrong
    assert not bad, f"{part} imports parts above it: {bad}"


@pytest.mark.parametrize("client", sorted(API_CLIENTS))
def test_clients_reach_the_app_only_through_its_public_api(client: str):
    """views, bench, the lab and the CLI use `from app import <name in app.__all__>`, never app's modules."""
    import app

    own = API_CLIENTS[client]
    paths = files_of(client) if client in ("views", "bench") else [p for p in files_of("app") if within(module_name(p), client)]
    bad = {}
    for path in paths:
        for module, names in imports_of(path):
            if module == "app":
                unknown = [n for n in names if n not in app.__all__]
                if unknown:
                    bad.setdefault(str(path.relative_to(ROOT)), []).append(f"from app import {unknown} (not in app.__all__)")
            elif within(module, "app") and not any(within(module, o) for o in own):
                bad.setdefault(str(path.relative_to(ROOT)), []).append(module)
    assert paths and not bad, f"reaching past app's public API: {bad}"


def test_nothing_outside_tests_imports_tests():
    bad = {str(p.relative_to(ROOT)) for p in first_party() if "tests" in imported_roots(p)}
    assert not bad


def test_no_import_cycles():
    """Every import counts (TYPE_CHECKING and function-level too). `from app import X` is an edge to the
    module that defines X: the package __init__ is a lazy facade, not a dependency."""
    modules = {module_name(p): p for p in first_party()}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if name == "app":
            continue
        edges = set()
        for module, names in imports_of(path):
            if module == "app":
                edges |= {public_api()[n] for n in names if n in public_api()}
                continue
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules] or [module]
            edges |= {t for t in targets if t in modules and t != name}
        graph[name] = edges - {"app"}
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_html_rendering_of_untrusted_text():
    offenders = [str(p.relative_to(ROOT)) for p in files_of("views") if "unsafe_allow_html" in p.read_text(encoding="utf-8")]
    assert not offenders


def test_every_table_goes_through_the_one_that_escapes_bidi_controls():
    """st.dataframe draws cells as given; views/tables.table shows bidi controls as escapes first."""
    callers = {str(p.relative_to(ROOT)) for p in files_of("views") if "st.dataframe(" in p.read_text(encoding="utf-8")}
    assert callers == {"views/tables.py"}
