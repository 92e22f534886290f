"""The CLI contract: `ask --json` fields (never renamed), stdin mode, exit codes, no tracebacks."""

from __future__ import annotations

import io
import json
import os
import socket
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from app.contract import CONTRACT_FIELDS
from tests.fake_service import make_service, reopened

GOOD = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})


class _Tee(io.StringIO):
    """Keeps what is written and passes it on (so a test's capsys still sees it)."""

    def __init__(self, inner) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(text)
        return super().write(text)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    svc, _factory = make_service(tmp_path, scripts={"smollm2:135m": [GOOD]})

    def run(*argv: str, stdin: str = "") -> tuple[int, str]:
        """(exit code, stdout); what the command wrote to stderr is in `run.err` (and still reaches capsys)."""
        out, err = io.StringIO(), _Tee(sys.stderr)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setattr(sys, "stderr", err)
        try:
            code = main(list(argv), out, build=lambda settings: service())
        finally:
            monkeypatch.setattr(sys, "stderr", err.inner)
        run.err = err.getvalue()  # type: ignore[attr-defined]
        return code, out.getvalue()

    def service():
        """The service the command runs with; after a command closed it, a new one on the same home (the next
        process's): a closed service refuses further use."""
        if run.svc.closed:  # type: ignore[attr-defined]
            run.svc = reopened(run.svc)  # type: ignore[attr-defined]
        return run.svc  # type: ignore[attr-defined]

    run.svc = svc  # type: ignore[attr-defined]
    return run


def test_ask_json_contract(cli):
    code, out = cli("ask", "--json", "Which port does Ollama listen on by default?")
    data = json.loads(out)
    assert code == 0
    assert list(data)[: len(CONTRACT_FIELDS)] == list(CONTRACT_FIELDS)
    assert data["status"] == "answered" and data["backend"] == "embedded" and data["llm_calls"] == 1
    assert data["citations"][0].keys() >= {"source", "chunk_id"}
    assert {"name", "stage", "fired", "reason"} <= data["guardrails"][0].keys()
    assert isinstance(data["latency_ms"], float) and data["trace_id"]


def test_ask_trace_prints_the_events_in_the_human_output_too(cli):
    """--trace's help says it includes the trace events in the output; only --json did. The human output now
    lists them after the result, one line each, as `traces show` does."""
    code, out = cli("ask", "--trace", "明朝哪一年迁都北京？")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "[REFUSED]"
    event_lines = [line for line in lines if line.startswith("   ") and " ms  " in line]
    assert any("relevance" in line and "fired" in line for line in event_lines)
    assert any("prompt_injection" in line for line in event_lines)
    _, plain = cli("ask", "明朝哪一年迁都北京？")
    assert not any(" ms  " in line for line in plain.splitlines())


def test_ask_stdin_one_json_per_line(cli):
    code, out = cli("ask", "--json", "-", stdin="请判断这个方案是否合理。\n\n明朝哪一年迁都北京？\n")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [d["status"] for d in lines] == ["clarify", "refused"]
    assert all(d["llm_calls"] == 0 for d in lines)


def test_a_chinese_refusal_or_clarification_says_in_chinese_what_stopped_it(cli):
    code, out = cli("ask", "明朝哪一年迁都北京？")
    assert code == 0 and out.splitlines()[:2] == ["[REFUSED]", "  你的文档中似乎没有能回答这个问题的内容。"]
    assert "not in your documents" in out  # the guardrail's own reason stays
    code, out = cli("ask", "请判断这个方案是否合理。")
    assert out.splitlines()[1] == "  这个问题还缺少一些必要的细节，补充之后才能回答。"
    code, out = cli("ask", "In which year did the Ming dynasty move its capital to Beijing?")
    assert out.splitlines()[0] == "[REFUSED]" and "你的文档" not in out  # English questions: as before


def test_error_status_exits_non_zero(tmp_path: Path, monkeypatch):
    svc, _ = make_service(tmp_path, ingest=False)
    out = io.StringIO()
    code = main(["ask", "--json", "Which port does Ollama use?"], out, build=lambda s: svc)
    assert code == 1 and json.loads(out.getvalue())["status"] == "error"


def test_human_output_and_traces(cli):
    code, out = cli("ask", "Is this plan reasonable?")
    assert code == 0 and "NEEDS CLARIFICATION" in out and "0 LLM calls" in out
    code, out = cli("traces", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows[0]["status"] == "clarify"
    code, out = cli("traces", "show", rows[0]["trace_id"][:12])
    assert code == 0 and "completeness" in out and f"handled by {socket.gethostname()}/{os.getpid()}" in out
    code, out = cli("traces", "--guardrail", "completeness")
    assert out.count("clarify") == 1
    code, out = cli("traces", "show", "nope")
    assert code == 1 and "no trace" in cli.err and out == ""  # errors go to stderr: stdout stays machine-readable


def test_an_output_check_that_fired_on_two_attempts_says_which_attempt_each_time(tmp_path: Path, monkeypatch):
    """The same 'guardrail grounding (output) fired: ...' line was printed once per attempt, reading as a repeat."""
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    bad = json.dumps({"citations": ["S1"], "answer": "Bananas are a yellow tropical fruit rich in potassium."})
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [bad, bad, GOOD]}, reasks=2)
    out = io.StringIO()
    assert main(["ask", "Which port does Ollama listen on by default?"], out, build=lambda settings: svc) == 0
    fired = [line for line in out.getvalue().splitlines() if line.startswith("  guardrail grounding")]
    assert len(fired) == 2 and len(set(fired)) == 2, fired
    assert "attempt 1) fired" in fired[0] and "attempt 2) fired" in fired[1]


def test_the_summary_line_counts_in_words_that_agree(cli):
    code, out = cli("ask", "Which port does Ollama listen on by default?")
    assert code == 0 and "· 1 LLM call ·" in out and " checks passed ·" in out


def test_traces_export(cli, tmp_path: Path):
    cli("ask", "Is this plan reasonable?")
    target = tmp_path / "t.jsonl"
    code, _out = cli("traces", "export", "--jsonl", str(target))
    assert code == 0 and len(target.read_text(encoding="utf-8").splitlines()) == 1
    cli("ask", "Is this plan reasonable?")
    code, _out = cli("traces", "export", "--jsonl", str(target), "--last", "1")  # was ignored: every trace went out
    assert code == 0 and len(target.read_text(encoding="utf-8").splitlines()) == 1
    code, out = cli("traces", "export", "--jsonl", "-")  # was a file named "-"
    assert code == 2 and "name a file after --jsonl" in cli.err and out == ""
    code, out = cli("traces", "import", "--jsonl", str(target))  # into the store it came from
    assert code == 0 and "imported 1 traces" in out and "(1 already stored: replaced, keeping 0 newer label(s))" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("traces", "--status", "banana"), "invalid choice: 'banana' (choose from 'answered', 'clarify'"),
        (("traces", "--guardrail", "relevanse"), "invalid choice: 'relevanse' (choose from 'input_size'"),
        (("traces", "--last", "-3"), "argument --last: -3 is not >= 1"),
        (("traces", "--last", "ten"), "argument --last: 'ten' is not a whole number"),
        (("policy", "replay", "--status", "banana"), "invalid choice: 'banana'"),
        (("policy", "replay", "--since", "yesterday"), "argument --since: 'yesterday' is not a date or time"),
        (("policy", "replay", "--since", "2026-13-45"), "argument --since: '2026-13-45' is not a date or time"),
    ],
)
def test_a_mistyped_trace_option_is_a_usage_error_naming_the_choices(cli, capsys, argv, says):
    """Before: an unknown status or guardrail matched no trace and printed nothing (exit 0); a negative --last
    printed pydantic's validation dump."""
    with pytest.raises(SystemExit) as exited:
        cli(*argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and says in err and "pydantic" not in err


def test_traces_export_and_import_name_a_path_they_cannot_use(cli, tmp_path: Path):
    code, out = cli("traces", "export", "--jsonl", str(tmp_path / "no" / "such" / "dir" / "t.jsonl"))
    assert (  # exit 2, as every command's unusable path (app/cli/codes.py): it was 1 here alone
        code == 2
        and out == ""
        and cli.err == f"error: cannot write {tmp_path / 'no' / 'such' / 'dir' / 't.jsonl'}: No such file or directory\n"
    )
    code, out = cli("traces", "import", "--jsonl", str(tmp_path / "missing.jsonl"))
    assert code == 2 and out == "" and cli.err == f"error: cannot read {tmp_path / 'missing.jsonl'}: No such file or directory\n"


def test_traces_import_of_a_file_that_is_not_an_export_says_what_it_is(cli, tmp_path: Path):
    binary = tmp_path / "photo.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x8c\xff")
    code, out = cli("traces", "import", "--jsonl", str(binary))
    assert code == 1 and "is not a trace export: it is not UTF-8 text" in cli.err and "UnicodeDecodeError" not in cli.err
    other = tmp_path / "other.jsonl"
    other.write_text('{"id": 1}\n', encoding="utf-8")
    code, out = cli("traces", "import", "--jsonl", str(other))
    assert code == 1 and f"{other}:1 is not a trace record: trace_id: Field required" in cli.err
    assert "validation error" not in cli.err and out == "" and cli.svc.traces.count() == 0


def test_invalid_setting_is_one_line_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("GUARDED_RAG_TOP_K", "lots")
    code = main(["ask", "x"], io.StringIO())
    err = capsys.readouterr().err
    assert code == 2 and "GUARDED_RAG_TOP_K" in err and "Traceback" not in err


def test_a_misspelt_variable_is_a_warning_on_stderr_and_a_doctor_problem(cli, monkeypatch, capsys):
    """GUARDED_RAG_TOPK=8 used to be ignored without a word: the app ran on top_k 4 while the user believed 8."""
    monkeypatch.setenv("GUARDED_RAG_TOPK", "8")
    code, out = cli("traces")
    warning = "warning: GUARDED_RAG_TOPK is not a guarded-rag setting and is ignored (did you mean GUARDED_RAG_TOP_K?)"
    assert code == 0 and capsys.readouterr().err.splitlines() == [warning] and "GUARDED_RAG_TOPK" not in out
    cli.svc.embedded_generation_problem = lambda: None
    code, out = cli("doctor")
    assert code == 1 and "GUARDED_RAG_TOPK" not in capsys.readouterr().err
    assert f"[PROBLEM] settings: {warning.removeprefix('warning: ')}\n       fix: rename the variable, or unset it\n" in out


def test_ingest_missing_path(cli):
    code, out = cli("ingest", "/nonexistent/folder")
    assert code == 2 and "no such file" in cli.err and out == ""


def test_ingest_of_a_file_deleted_since_it_was_indexed_removes_it(cli):
    """The CLI refused every missing path before ingest ran, so `ingest FILE` for a deleted file kept its chunks."""
    [doc, *_] = sorted(cli.svc.settings.docs_dir.glob("*.md"))
    source = doc.name
    assert source in {d.source for d in cli.svc.documents()}
    doc.unlink()
    code, out = cli("ingest", str(doc))
    assert code == 0 and "1 removed" in out, (out, cli.err)
    assert "Its earlier version was removed from the index." in out
    assert source not in {d.source for d in cli.svc.documents()}


def test_ingest_json_report(cli):
    code, out = cli("ingest", "--json")
    report = json.loads(out)
    assert code == 0 and report["unchanged"]


def test_ingest_names_the_files_it_did_not_read_and_what_it_reads(cli, tmp_path: Path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nOllama listens on port 11434.\n", encoding="utf-8")
    (folder / "b.html").write_text("<p>b</p>", encoding="utf-8")
    (folder / "c.docx").write_bytes(b"PK")
    code, out = cli("ingest", str(folder))
    assert code == 0
    assert "  not read: 2 file(s) of other types (.docx 1, .html 1); ingest reads .markdown, .md, .pdf, .txt" in out


def test_a_broken_pdf_is_one_skip_line_without_pypdf_warnings_on_stderr(cli, tmp_path: Path, capsys, monkeypatch):
    import logging

    from app.cli import entry as console_script

    monkeypatch.setattr(logging.getLogger("pypdf"), "level", logging.NOTSET)
    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(b"%PDF-1.4 no end")
    out = io.StringIO()
    code = console_script(["ingest", str(pdf)], out, build=lambda settings: cli.svc)
    assert code == 0 and "skipped" in out.getvalue() and "the PDF could not be parsed" in out.getvalue()
    assert "EOF marker" not in capsys.readouterr().err


def test_doctor_checks_index_integrity(cli):
    _, out = cli("doctor")
    assert "[ok] index integrity:" in out and "sampled lookups and searches hit" in out, out


def test_doctor_prints_the_versions_it_checks(cli):
    """Its help says it checks versions, and a bug report needs them; the text output printed none (only --json)."""
    _, out = cli("doctor")
    [line] = [x for x in out.splitlines() if x.startswith("versions: ")]
    assert "python " in line and "langchain-core " in line and "chromadb " in line, line


def test_doctor_reports_a_corrupted_index_with_the_repair(cli, monkeypatch):
    from app import IndexIntegrity

    broken = IndexIntegrity(ok=False, problems=("3 of 10 stored embeddings are unreadable",), fix="guarded-rag ingest --rebuild")
    monkeypatch.setattr(cli.svc, "index_integrity", lambda **_: broken)
    code, out = cli("doctor")
    assert code == 1
    assert "[PROBLEM] index integrity: CORRUPTED: 3 of 10 stored embeddings are unreadable" in out
    assert "fix: guarded-rag ingest --rebuild" in out


def test_ingest_while_another_writer_holds_the_index_is_one_clear_line(cli, monkeypatch, capsys):
    from app import IndexBusyError

    def busy(*_args, **_kwargs):
        raise IndexBusyError("another ingest (pid 4242) kept the index locked for 600 s; this write was not done.")

    monkeypatch.setattr(cli.svc, "ingest", busy)
    code, _ = cli("ingest")
    err = capsys.readouterr().err
    assert (
        code == 1 and err.strip() == "error: another ingest (pid 4242) kept the index locked for 600 s; this write was not done."
    )


def test_doctor_points_out_a_port_taken_from_the_scheme(cli, monkeypatch):
    from app import Settings

    monkeypatch.setattr(cli.svc, "settings", Settings(**{**cli.svc.settings.model_dump(), "ollama_host": "http://gpu-box"}))
    _, out = cli("doctor")
    assert "ollama host: http://gpu-box:80 uses port 80" in out


def test_the_cli_tunes_the_process_before_building_the_service(tmp_path: Path, monkeypatch):
    cli_main = sys.modules[main.__module__]  # the module (app.cli re-exports the function under the same name)
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MALLOC_ARENA_MAX", "3")
    svc, _factory = make_service(tmp_path, scripts={"smollm2:135m": [GOOD]})
    events: list[object] = []
    monkeypatch.setattr(cli_main, "tune_process", lambda settings: events.append(("cap", settings.malloc_arena_max)))

    def build(settings):
        events.append("build")
        return svc

    assert main(["ask", "--json", "Which port does Ollama use?"], io.StringIO(), build=build) == 0
    assert events == [("cap", 3), "build"]


def test_traces_show_and_label_name_the_trace_they_need(cli):
    """Found by a walkthrough: no id printed "error: no trace None" (exit 1, not a usage error); an id copied
    with a capital or a stray space was not found; an ambiguous prefix said only "no trace"."""
    cli("ask", "Is this plan reasonable?")
    cli("ask", "Is this plan reasonable?")
    code, out = cli("traces", "show")
    assert code == 2 and "traces show needs a TRACE_ID" in cli.err and "None" not in cli.err and out == ""
    code, out = cli("traces", "label", "--guardrail", "completeness", "--correct")
    assert code == 2 and "traces label needs a TRACE_ID" in cli.err
    code, out = cli("traces", "--json")
    first = json.loads(out.splitlines()[0])["trace_id"]
    code, out = cli("traces", "show", f" {first[:12].upper()} ")
    assert code == 0 and out.startswith(first)
    code, out = cli("traces", "show", "  ")  # only spaces: no id either
    assert code == 2
    code, out = cli("traces", "show", "zz")
    assert code == 1 and "matched in full or by a prefix only one trace has" in cli.err


def test_the_listing_names_a_guardrail_that_fired_twice_once(cli):
    from tests.app.traces.test_contract import rich

    cli.svc.traces.save(rich(0, fired=("grounding", "grounding", "citations")))  # two attempts' output checks
    code, out = cli("traces")
    assert code == 0 and "fired=grounding,citations " in out


class _Interactive:
    """A stdin whose next line only exists once the answer to the previous one was written (a tool that writes
    a question into a pipe and waits for its answer)."""

    def __init__(self, lines: list[str], out: io.StringIO) -> None:
        self.lines, self.out = lines, out
        self.started, self.rest = 0, ""  # lines begun; what is left of the current one

    def readline(self, size: int = -1) -> str:
        if not self.rest:
            if self.started == len(self.lines):
                return ""
            answered = len(self.out.getvalue().splitlines())
            assert answered == self.started, (
                f"line {self.started + 1} was read before the answer to line {self.started} was written"
            )
            self.rest, self.started = self.lines[self.started], self.started + 1
        cut = len(self.rest) if size < 0 else size
        piece, self.rest = self.rest[:cut], self.rest[cut:]
        return piece

    def __iter__(self):
        while line := self.readline():
            yield line


def test_ask_stdin_answers_each_line_before_reading_the_next(tmp_path: Path, monkeypatch) -> None:
    svc, _ = make_service(tmp_path)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdin", _Interactive(["请判断这个方案是否合理。\n", "明朝哪一年迁都北京？\n"], out))
    code = main(["ask", "--json", "-"], out, build=lambda s: svc)
    assert code == 0 and [json.loads(line)["status"] for line in out.getvalue().splitlines()] == ["clarify", "refused"]


def test_ask_stdin_closed_is_a_usage_error(tmp_path: Path, monkeypatch, capsys) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    monkeypatch.setattr(sys, "stdin", None)
    code = main(["ask", "-"], io.StringIO(), build=lambda s: svc)
    assert code == 2 and "stdin is closed" in capsys.readouterr().err


def test_ctrl_c_while_the_service_loads_is_one_line_not_a_traceback(capsys) -> None:
    def interrupted(settings):
        raise KeyboardInterrupt

    code = main(["ask", "What port?"], io.StringIO(), build=interrupted)
    assert code == 130 and capsys.readouterr().err == "interrupted\n"


def test_ctrl_c_during_a_question_writes_the_queued_traces_first(tmp_path: Path, monkeypatch, capsys) -> None:
    svc, _ = make_service(tmp_path)
    closed: list[bool] = []
    monkeypatch.setattr(svc, "ask", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    monkeypatch.setattr(svc, "close", lambda: closed.append(True))
    code = main(["ask", "What port?"], io.StringIO(), build=lambda s: svc)
    assert code == 130 and closed == [True] and capsys.readouterr().err == "interrupted\n"


def test_after_ctrl_c_the_console_script_ends_without_interpreter_teardown(monkeypatch) -> None:
    # A llama.cpp thread still generating when the interpreter finalised crashed the process (SIGSEGV).
    import app.cli as cli_package
    import app.cli.main as cli_main

    ended: list[int] = []

    def fake_exit(code: int) -> None:
        ended.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(cli_main, "main", lambda *a, **k: 130)
    monkeypatch.setattr(cli_package.os, "_exit", fake_exit)
    with pytest.raises(SystemExit):
        cli_package.entry(["ask", "x"])
    assert ended == [130]
    monkeypatch.setattr(cli_main, "main", lambda *a, **k: 0)
    assert cli_package.entry(["ask", "x"]) == 0 and ended == [130]


def test_a_model_thread_left_running_ends_the_process_without_teardown_too(monkeypatch) -> None:
    """An embedded call its client gave up on (a timeout) leaves a pump thread inside llama.cpp: finalising the
    interpreter around it crashed 2 of 6 `ask` runs with SIGSEGV after the answer was printed."""
    import threading

    import app.cli as cli_package
    import app.cli.main as cli_main
    from app.embedded.pump import THREAD_NAME

    ended: list[int] = []

    def fake_exit(code: int) -> None:
        ended.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(cli_main, "main", lambda *a, **k: 0)
    monkeypatch.setattr(cli_package.os, "_exit", fake_exit)
    assert cli_package.entry(["ask", "x"]) == 0 and ended == []  # nothing running: a normal return
    release = threading.Event()
    generating = threading.Thread(target=release.wait, name=THREAD_NAME, daemon=True)
    generating.start()
    try:
        with pytest.raises(SystemExit):
            cli_package.entry(["ask", "x"])
        assert ended == [0]
    finally:
        release.set()
        generating.join()


def test_every_command_closes_the_service_before_returning(tmp_path: Path) -> None:
    """entry() may end the process with os._exit, which skips exit handlers: main() writes the traces first."""
    svc, _ = make_service(tmp_path)
    closed: list[bool] = []
    original = svc.close
    svc.close = lambda: (closed.append(True), original())[1]  # type: ignore[method-assign]
    assert main(["traces", "--last", "1"], io.StringIO(), build=lambda s: svc) == 0
    assert closed == [True]


def test_a_command_started_with_stdout_closed_runs_and_throws_its_output_away(tmp_path: Path, monkeypatch, capsys) -> None:
    """`guarded-rag ask ... >&-`: sys.stdout is None; every write failed with an AttributeError message after the
    work (and the model call) was done. The output goes to /dev/null, as with >/dev/null."""
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [GOOD]})
    monkeypatch.setattr(sys, "stdout", None)
    code = main(["ask", "Which port does Ollama listen on by default?"], build=lambda s: svc)
    err = capsys.readouterr().err
    assert code == 0 and "AttributeError" not in err and "error" not in err
    assert svc.traces.count() == 1


def test_doctor_with_a_policy_file_that_does_not_load_checks_the_rest_and_names_it(tmp_path: Path, monkeypatch):
    """The policy file is loaded as the service is built, so a broken one stopped doctor before any check ran
    (one 'error:' line): the one command meant to say what is wrong said nothing else."""
    from app import GuardedRAG, Settings

    broken = tmp_path / "strict.toml"
    broken.write_text("[guardrails.relevance]\nmin_hybrid = 7\n", encoding="utf-8")
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GUARDED_RAG_POLICY", str(broken))
    svc, _ = make_service(tmp_path)

    def build(settings: Settings) -> GuardedRAG:
        if settings.policy is not None:
            return GuardedRAG(settings)  # raises the PolicyError, as the console script's build does
        return svc

    out = io.StringIO()
    assert main(["doctor"], out, build=build) == 1
    text = out.getvalue()
    assert "[PROBLEM] policy:" in text and "min_hybrid" in text and str(broken) in text
    assert "[ok] index integrity:" in text  # the rest was checked
    assert main(["ask", "What port?"], io.StringIO(), build=build) == 2  # every other command still stops
