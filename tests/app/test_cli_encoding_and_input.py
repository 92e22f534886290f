"""The command line on a stdout that is not UTF-8, and the odd inputs a script or an editor hands it: an empty path,
a question file saved with a byte order mark, stdin with nothing to ask."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.cli.main import main
from app.cli.terminal import terminal_safe
from app.traces import TraceRecord
from tests.fake_service import make_service, reopened

# Cites S1, the one chunk bag-of-words retrieval ranks first for the question below (端口.md).
ZH_QUESTION = "Ollama 默认监听哪个端口？"
ZH_ANSWER = json.dumps({"citations": ["S1"], "answer": "Ollama 默认监听 11434 端口。"}, ensure_ascii=False)
REFUSED_ZH = "明朝哪一年迁都北京？"
EMOJI_QUESTION = "Is this plan reasonable? 🙂 é"


def ascii_stdout() -> io.TextIOWrapper:
    """stdout as Python opens it under PYTHONIOENCODING=ascii (or a Latin-1/ASCII locale): strict errors."""
    return io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict", newline="\n")


def written(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("ascii")  # fails if anything but ASCII went out


def escaped(text: str) -> str:
    """`text` as json.dumps escapes it (\\uXXXX, surrogate pairs), without the quotes: the oracle for the escapes."""
    return json.dumps(text)[1:-1]


@pytest.mark.parametrize("as_json", [False, True])
def test_a_chinese_answer_citing_a_chinese_file_prints_on_an_ascii_stdout(tmp_path: Path, as_json: bool) -> None:
    """It ended with "error: UnicodeEncodeError: 'ascii' codec can't encode ..." and exit 1, the answer lost."""
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [ZH_ANSWER]})
    out = ascii_stdout()
    code = main(["ask", *(["--json"] if as_json else []), ZH_QUESTION], out, build=lambda s: svc)
    text = written(out)
    assert code == 0, text
    if as_json:
        data = json.loads(text)  # still JSON, and the escapes decode to the same strings
        assert data["status"] == "answered" and data["answer"] == "Ollama 默认监听 11434 端口。"
        assert [c["source"] for c in data["citations"]] == ["端口.md"]
    else:
        lines = text.splitlines()
        assert lines[0] == "[ANSWERED]" and lines[1] == escaped("Ollama 默认监听 11434 端口。")
        assert any(line.startswith(f"  [S1] {escaped('端口.md')} #") for line in lines), text


def test_a_chinese_refusal_headline_prints_on_an_ascii_stdout(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    out = ascii_stdout()
    assert main(["ask", REFUSED_ZH], out, build=lambda s: svc) == 0
    assert written(out).splitlines()[:2] == ["[REFUSED]", "  " + escaped("你的文档中似乎没有能回答这个问题的内容。")]


def test_traces_list_show_and_json_print_on_an_ascii_stdout_beyond_the_bmp_too(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    svc.ask(EMOJI_QUESTION)
    trace_id = svc.traces.list()[0].trace_id
    out = ascii_stdout()
    assert main(["traces"], out, build=lambda s: reopened(svc)) == 0
    assert written(out).rstrip("\n").endswith(escaped(EMOJI_QUESTION)[:60])
    out = ascii_stdout()
    assert main(["traces", "--json"], out, build=lambda s: reopened(svc)) == 0
    assert json.loads(written(out))["question"] == EMOJI_QUESTION  # a surrogate pair, as JSON writes one
    out = ascii_stdout()
    assert main(["traces", "show", trace_id], out, build=lambda s: reopened(svc)) == 0
    assert f"  Q: {escaped(EMOJI_QUESTION)}\n" in written(out)
    out = ascii_stdout()
    assert main(["ask", "--trace", EMOJI_QUESTION], out, build=lambda s: reopened(svc)) == 0  # writelines: the events
    assert " ms  " in written(out)


def test_a_real_ascii_stdout_prints_a_chinese_trace(tmp_path: Path) -> None:
    """The process as a user starts it, PYTHONIOENCODING=ascii: exit 0 and the question as escapes."""
    record = TraceRecord(
        trace_id="a" * 32,
        created_at=datetime(2026, 5, 1, tzinfo=UTC),
        question=REFUSED_ZH,
        status="refused",
        backend="embedded",
        model="m",
        llm_calls=0,
        latency_ms=1.0,
    )
    export = tmp_path / "one.jsonl"
    export.write_text(record.model_dump_json() + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARDED_RAG_")} | {
        "GUARDED_RAG_HOME": str(tmp_path / "home"),
        "PYTHONIOENCODING": "ascii",
    }

    def run(*argv: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "app", *argv], env=env, capture_output=True, timeout=120, check=False)

    assert run("traces", "import", "--jsonl", str(export)).returncode == 0
    shown = run("traces", "show", "a" * 8)
    assert shown.returncode == 0 and shown.stderr == b"", shown.stderr
    assert f"  Q: {escaped(REFUSED_ZH)}\n".encode() in shown.stdout


def test_ingest_of_an_empty_path_is_a_usage_error_not_the_current_folder(tmp_path: Path, monkeypatch, capsys) -> None:
    """Path("") is Path("."): `ingest ""` (an unset variable in `ingest "$DOCS"`) indexed the folder it ran in."""
    svc, _ = make_service(tmp_path, ingest=False)
    here = tmp_path / "elsewhere"
    here.mkdir()
    (here / "private.md").write_text("# not for the index\n\nsecret notes", encoding="utf-8")
    monkeypatch.chdir(here)
    with pytest.raises(SystemExit) as exited:
        main(["ingest", ""], io.StringIO(), build=lambda s: svc)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "an empty path names no file or folder" in err and "Traceback" not in err
    assert svc.is_index_empty()


def test_a_question_file_with_a_byte_order_mark_asks_the_question_without_it(tmp_path: Path, monkeypatch) -> None:
    """Windows Notepad starts a UTF-8 file with U+FEFF; str.strip keeps it, so it was asked (and stored) as part of
    the first question, and a line holding only the mark was asked as a question of its own."""
    svc, _ = make_service(tmp_path)
    stdin = io.TextIOWrapper(
        io.BytesIO("\ufeffIs this plan reasonable?\n\ufeff\n\ufeff  \n请判断这个方案是否合理。\n".encode()), encoding="utf-8"
    )
    monkeypatch.setattr(sys, "stdin", stdin)
    out = io.StringIO()
    assert main(["ask", "--json", "-"], out, build=lambda s: svc) == 0
    assert len(out.getvalue().splitlines()) == 2  # the mark-only lines are blank lines: skipped
    assert sorted(r.question for r in svc.traces.list()) == sorted(["Is this plan reasonable?", "请判断这个方案是否合理。"])


def test_a_question_argument_of_only_a_byte_order_mark_is_an_empty_question(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    out = io.StringIO()
    assert main(["ask", "--json", "\ufeff"], out, build=lambda s: svc) == 0  # refused: exit 0, as documented
    data = json.loads(out.getvalue())
    fired = {g["name"]: g["reason"] for g in data["guardrails"] if g["fired"]}
    assert data["status"] == "refused" and fired["input_size"] == "empty question"


@pytest.mark.parametrize("stdin", ["", "\n  \n", "\ufeff\n"])
def test_stdin_without_a_question_says_so_with_the_usage_exit_code(tmp_path: Path, monkeypatch, capsys, stdin: str) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    assert main(["ask", "-"], out, build=lambda s: svc) == 2
    assert (
        out.getvalue() == "" and capsys.readouterr().err == "error: 'ask -' read no question from stdin: every line was blank\n"
    )


def test_writelines_escapes_as_write_does() -> None:
    """`ask --trace` and `traces show` write their event lines with writelines, which TerminalSafe passed through to
    the stream unescaped (neither the control characters nor what the stream's encoding cannot encode)."""
    out = ascii_stdout()
    safe = terminal_safe(out)
    safe.writelines(["a\x1b[2J端\n", "b\n"])
    assert written(out) == "a\\u001b[2J\\u7aef\nb\n"
