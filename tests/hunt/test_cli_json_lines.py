"""Every --json / JSONL writer of the CLI writes one record a line for any consumer: U+2028, U+2029 and U+0085
(and the other C1 controls) are escaped, as app.jsonline escapes them for the server's streams. Valid JSON before
too, but a reader splitting with str.splitlines (httpx's iter_lines, many log tools) cut a record in two. The
escapes decode to the same strings: an export imports back unchanged."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli.main import main
from tests.fake_service import make_service, reopened

SEPARATORS = [("LINE SEPARATOR", "\u2028"), ("PARAGRAPH SEPARATOR", "\u2029"), ("NEXT LINE (C1)", "\x85")]


def _answer(sep: str) -> str:
    return json.dumps({"citations": ["S1"], "answer": f"Ollama listens on port 11434{sep}by default."})


def _run(svc, argv: list[str]) -> str:
    out = io.StringIO()
    assert main(argv, out, build=lambda s: svc) == 0, argv
    return out.getvalue()


@pytest.mark.parametrize(("name", "sep"), SEPARATORS, ids=[n for n, _ in SEPARATORS])
def test_ask_json_is_one_line_per_answer(tmp_path: Path, name: str, sep: str) -> None:
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [_answer(sep)] * 3})
    text = _run(svc, ["ask", "--json", "What port does Ollama listen on?"])
    (line,) = text.splitlines()
    assert json.loads(line)["answer"] == f"Ollama listens on port 11434{sep}by default."


@pytest.mark.parametrize(("name", "sep"), SEPARATORS, ids=[n for n, _ in SEPARATORS])
def test_traces_json_and_export_are_one_line_per_trace_and_import_back(tmp_path: Path, name: str, sep: str) -> None:
    questions = [f"Who painted{sep}the Mona Lisa?", f"明朝哪一年{sep}迁都北京？"]  # refused without a model call
    svc, _ = make_service(tmp_path)
    for q in questions:
        _run(reopened(svc), ["ask", "--json", q])  # each a process of its own: main() closes what it ran

    listed = _run(reopened(svc), ["traces", "list", "--json"]).splitlines()
    assert sorted(json.loads(line)["question"] for line in listed) == sorted(questions)
    trace_id = json.loads(listed[0])["trace_id"]
    shown = json.loads(_run(reopened(svc), ["traces", "show", trace_id, "--json"]))
    assert shown["question"] in questions

    export = tmp_path / "traces.jsonl"
    _run(reopened(svc), ["traces", "export", "--jsonl", str(export)])
    lines = export.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(questions)
    assert sep not in export.read_text(encoding="utf-8")

    other, _ = make_service(tmp_path / "other", ingest=False)
    _run(other, ["traces", "import", "--jsonl", str(export)])
    assert sorted(r.question for r in reopened(other).traces.list()) == sorted(questions)
