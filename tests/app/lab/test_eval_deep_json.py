"""`guarded-rag eval FILE` with a line nested too deeply for Python's JSON reader: named like every other line that
is not JSON ("FILE:LINE: not JSON (…)", exit 2). Found by a hunt: it ended the run in "error: RecursionError: …"
(exit 1), naming neither the file nor the line."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import pytest

from app.cli.lab import add_lab_commands, run_lab_command
from app.lab.evaluation.dataset_file import DatasetError, load_jsonl
from app.lab.evaluation.passages import load_passages

GOOD = {
    "en": '{"id": "a1", "question": "What port does Ollama listen on by default?", "type": "answerable"}',
    "zh": '{"id": "a1", "question": "Ollama 默认监听哪个端口？", "type": "answerable", "lang": "zh"}',
}
DEPTH = 100_000


def deep(lang: str, where: str) -> str:
    question = "What port?" if lang == "en" else "哪个端口？"
    nested = {
        "list field": "[" * DEPTH + "]" * DEPTH,
        "ignored field": '{"a":' * DEPTH + "1" + "}" * DEPTH,
        "whole line": "[" * DEPTH + "]" * DEPTH,
    }[where]
    if where == "whole line":
        return nested
    field = "expected_sources" if where == "list field" else "notes"
    return f'{{"id": "a2", "question": "{question}", "type": "answerable", "{field}": {nested}}}'


CASES = [(lang, where) for lang in ("en", "zh") for where in ("list field", "ignored field", "whole line")]


def write(path: Path, lang: str, where: str) -> Path:
    path.write_text(GOOD[lang] + "\n" + deep(lang, where) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("lang", "where"), CASES)
def test_a_line_nested_too_deeply_is_named_as_not_json(tmp_path: Path, lang: str, where: str) -> None:
    path = write(tmp_path / "mine.jsonl", lang, where)
    with pytest.raises(DatasetError, match=r"mine\.jsonl:2: not JSON \(nested too deeply") as caught:
        load_jsonl(path)
    assert str(path) in str(caught.value)


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_lab_commands(p.add_subparsers(dest="command", required=True))
    return p.parse_args(list(argv))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_cli_says_so_as_a_usage_error(service, tmp_path: Path, lang: str) -> None:
    svc, _ = service()  # no replies: nothing may reach the model
    path = write(tmp_path / "mine.jsonl", lang, "list field")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run_lab_command(svc, parse("eval", str(path), "--no-progress", "--out", str(tmp_path / "o")), io.StringIO())
    assert code == 2, err.getvalue()
    assert f"{path}:2: not JSON (nested too deeply" in err.getvalue()
    assert "RecursionError" not in err.getvalue() and "Traceback" not in err.getvalue()


def test_a_deeply_nested_passage_line_names_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "passages.jsonl"
    ok = '{"id": "p1", "lang": "en", "text": "Ollama listens on 11434.", "kind": "doc_benign"}'
    path.write_text(ok + "\n" + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"passages\.jsonl:2: not JSON \(nested too deeply"):
        load_passages(path)
