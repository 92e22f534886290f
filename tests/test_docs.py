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


README = ROOT / "README.md"
_ENV_ROW = re.compile(r"^\| ((?:`GUARDED_RAG_\w+`(?: / )?)+) \| ([^|]+) \|", re.MULTILINE)


def _readme_defaults() -> list[tuple[str, str]]:
    """(setting, documented default) for every README configuration row whose defaults are plain backticked
    values (one per variable, ` / `-separated); rows with prose defaults ("bundled", "<home>/…") are skipped."""
    found: list[tuple[str, str]] = []
    for names, defaults in _ENV_ROW.findall(README.read_text(encoding="utf-8")):
        keys = [n.strip("` ").removeprefix("GUARDED_RAG_").lower() for n in names.split(" / ")]
        values = [v.strip() for v in defaults.strip().split(" / ")]
        if len(values) != len(keys) or not all(re.fullmatch(r"`[\w.:-]+`|–", v) for v in values):
            continue
        found += [(k, v.strip("`")) for k, v in zip(keys, values, strict=True)]
    return found


def test_the_readme_configuration_table_gives_the_settings_defaults() -> None:
    from app import Settings

    rows = _readme_defaults()
    assert len(rows) > 25  # the table is read
    fields = Settings.model_fields
    wrong = []
    for key, documented in rows:
        assert key in fields, f"README names GUARDED_RAG_{key.upper()}, which is no setting"
        default = fields[key].default
        if documented == "–":
            ok = default in (None, "", ())
        elif isinstance(default, bool):
            ok = documented == str(default).lower()
        elif isinstance(default, int | float):
            ok = float(documented) == float(default)
        else:
            ok = documented == str(default)
        if not ok:
            wrong.append(f"GUARDED_RAG_{key.upper()}: README {documented!r}, Settings {default!r}")
    assert not wrong, wrong
