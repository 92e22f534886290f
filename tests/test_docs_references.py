"""The user docs name real things: every repository path in README.md and docs/*.md exists, every CLI flag the
README's command list shows is one the parser accepts, and the README says which `serve` endpoints need no token
as the server decides it. (tests/test_docs.py covers docs/ARCHITECTURE.md and the settings table's defaults.)"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
# A path of this repository: a top-level folder, then a path. Not the tail of another path or URL
# (`garak/data/…`, `arize.com/docs/phoenix`), not a placeholder (`<home>/…`, `FILE.toml`).
_PATH = re.compile(r"(?<![\w/.~-])((?:app|chains|guardrails|views|tests|bench|docs|data)/[\w./<>-]*[\w/>]|streamlit_app\.py)")


def _named_paths(text: str) -> set[str]:
    return {m.rstrip("/") for m in _PATH.findall(text) if "<" not in m}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_repository_path_a_page_names_exists(page: Path) -> None:
    paths = _named_paths(page.read_text(encoding="utf-8"))
    # docs/*.md may name a path relative to docs/ (screenshots/…, charts/…) only through a link; repository paths
    # are written from the root
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    flags = {s for a in parser._actions for s in a.option_strings}
    for sub in _subparsers(parser).values():
        flags |= _flags(sub)
    return flags


def test_every_flag_in_the_readme_command_list_exists() -> None:
    from app.cli.main import _parser

    text = README.read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = _subparsers(_parser())
    unknown = []
    for line in block.splitlines():
        m = re.match(r"\.venv/bin/guarded-rag (\w+)", line.strip())
        if not m:
            continue
        assert m[1] in commands, f"README lists `guarded-rag {m[1]}`, which is no command"
        known = _flags(commands[m[1]])
        unknown += [f"{m[1]} {flag}" for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line) if flag not in known]
    assert not unknown, f"README's command list shows flags the CLI does not accept: {unknown}"


def test_the_readme_names_the_serve_endpoints_that_need_no_token() -> None:
    from app.serve.middleware import PUBLIC_PATHS

    row = next(line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `GUARDED_RAG_API_TOKEN`"))
    documented = set(re.findall(r"`(/[\w]*)`", row.split("every endpoint but", 1)[1].split("(", 1)[0]))
    assert documented == set(PUBLIC_PATHS)
