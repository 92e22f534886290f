"""The docs name real code: every repository path named in docs/ARCHITECTURE.md exists, and so does every
`Class.method` of the service it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
# Paths in backticks or in the request diagram: a top-level folder of this repository, then a path.
_PATH = re.compile(r"\b((?:app|chains|guardrails|views|tests|bench|docs|data)/[\w./<>-]*|streamlit_app\.py)")


def named_paths(text: str) -> set[str]:
    return {m.rstrip("./") for m in _PATH.findall(text)}


def test_architecture_names_only_paths_that_exist():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    paths = named_paths(text)
    assert len(paths) > 20  # the page does name the parts
    missing = sorted(p for p in paths if "<" not in p and not (ROOT / p).exists())
    assert not missing, f"docs/ARCHITECTURE.md names paths that do not exist: {missing}"


@pytest.mark.parametrize("name", sorted(set(re.findall(r"GuardedRAG\.(\w+)", ARCHITECTURE.read_text(encoding="utf-8")))))
def test_architecture_names_only_service_methods_that_exist(name: str):
    from app import GuardedRAG

    assert hasattr(GuardedRAG, name)
