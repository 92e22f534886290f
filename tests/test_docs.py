"""The docs name real code: every repository path named in docs/ARCHITECTURE.md exists, and so does every
`Class.method` of the service and its parts it names; the summary table of docs/GUARDRAILS.md gives every
guardrail's parameters with the defaults the policy file sets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
GUARDRAILS = ROOT / "docs" / "GUARDRAILS.md"
# Paths in backticks or in the request diagram: a top-level folder of this repository, then a path.
_PATH = re.compile(r"\b((?:app|chains|guardrails|views|tests|bench|docs|data)/[\w./<>-]*|streamlit_app\.py)")


def named_paths(text: str) -> set[str]:
    return {m.rstrip("./") for m in _PATH.findall(text)}


def test_architecture_names_only_paths_that_exist() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    paths = named_paths(text)
    assert len(paths) > 20  # the page does name the parts
    missing = sorted(p for p in paths if "<" not in p and not (ROOT / p).exists())
    assert not missing, f"docs/ARCHITECTURE.md names paths that do not exist: {missing}"


@pytest.mark.parametrize(
    "owner, name", sorted(set(re.findall(r"\b(GuardedRAG|Components)\.(\w+)", ARCHITECTURE.read_text(encoding="utf-8"))))
)
def test_architecture_names_only_service_methods_that_exist(owner: str, name: str) -> None:
    from app import GuardedRAG
    from app.components import Components

    assert hasattr({"GuardedRAG": GuardedRAG, "Components": Components}[owner], name)


def _summary_rows() -> dict[str, str]:
    """Guardrail name -> the parameters cell of its row in the Summary table of docs/GUARDRAILS.md."""
    text = GUARDRAILS.read_text(encoding="utf-8")
    table = text.split("## Summary", 1)[1].split("\n\n", 2)[1]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| `")]
    return {row[0].strip("| `"): row[-1] for row in rows}


def _value(text: str) -> object:
    return text == "true" if text in ("true", "false") else float(text)


def test_the_guardrails_summary_gives_each_guardrail_the_defaults_of_the_policy_file() -> None:
    from guardrails import load_policy

    policy, rows = load_policy(), _summary_rows()
    assert set(rows) == set(policy.guardrails)
    for name, cell in rows.items():
        documented = {key: _value(value) for key, value in re.findall(r"`(\w+)` \(([\w.]+)\)", cell)}
        assert documented == dict(policy.params(name)), f"docs/GUARDRAILS.md summary row of {name}"
