"""Architecture rules as tests: imports point one way (streamlit_app -> app -> chains -> guardrails), and
the guardrails layer stays pure (pydantic + stdlib)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["views", "app", "chains", "guardrails"]  # views = the Streamlit pages (streamlit_app.py's layer)
FORBIDDEN = {
    "guardrails": {"app", "chains", "views", "streamlit_app", "langchain_core", "langchain_ollama", "chromadb", "streamlit", "httpx", "ollama", "numpy"},
    "chains": {"app", "views", "streamlit_app", "streamlit", "chromadb"},
    "app": {"views", "streamlit_app", "streamlit"},
    "views": {"langchain_core", "langchain_ollama", "chromadb", "chains", "guardrails", "llama_cpp"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def files_of(layer: str) -> list[Path]:
    if layer == "views":
        return [p for p in [ROOT / "streamlit_app.py", *(ROOT / "views").glob("**/*.py")] if p.exists()]
    return sorted((ROOT / layer).glob("**/*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_down(layer: str):
    bad = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & FORBIDDEN[layer]) for p in files_of(layer)}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"imports pointing the wrong way or leaking dependencies: {bad}"


def test_guardrails_use_only_stdlib_and_pydantic():
    allowed = set(sys.stdlib_module_names) | {"pydantic", "guardrails", "__future__"}
    extra = {str(p.relative_to(ROOT)): sorted(imported_roots(p) - allowed) for p in files_of("guardrails")}
    assert not {k: v for k, v in extra.items() if v}


def test_no_html_rendering_of_untrusted_text():
    offenders = [str(p.relative_to(ROOT)) for p in files_of("views") if "unsafe_allow_html" in p.read_text(encoding="utf-8")]
    assert not offenders


def test_public_api_is_pinned():
    import app.contract as contract
    import chains
    import guardrails

    assert contract.CONTRACT_FIELDS == ("status", "answer", "citations", "guardrails", "llm_calls", "backend", "model", "trace_id", "latency_ms")
    assert set(contract.CONTRACT_FIELDS) <= set(contract.AskResponse.model_fields)
    assert {"QAPipeline", "GenerationLadder", "ModelRung", "run_qa", "TraceEvent", "QAResult"} <= set(chains.__all__)
    assert {"Guardrail", "Verdict", "GuardContext", "run_guardrail", "load_policy"} <= set(dir(guardrails))
