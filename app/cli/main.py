"""The `guarded-rag` command line: a thin layer over GuardedRAG (the same API the UI and tests use).

Errors a user can fix are printed as one clear line and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from app import (
    SUPPORTED_SUFFIXES,
    AskOptions,
    AskResponse,
    ExposureError,
    GuardedRAG,
    IndexBusyError,
    IndexUnavailableError,
    ServeOptions,
    Settings,
    SettingsError,
    TraceStoreError,
    guard_headline,
    lang_of,
    load_settings,
    run_doctor,
    run_server,
    stopping_guardrail,
    tune_process,
    unknown_variables,
    with_config_file,
)
from app.cli.codes import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, EXIT_PIPE, EXIT_USAGE
from app.cli.terminal import event_line, one_line, say, terminal_safe


def _path_argument(text: str) -> Path:
    """argparse type: a path that names something. Path("") is Path("."): `ingest ""` (an unset shell variable,
    `ingest "$DOCS"`) indexed the current folder."""
    if not text:  # only "": " " is a name a file can have (a missing one is "no such file or folder")
        raise argparse.ArgumentTypeError("an empty path names no file or folder")
    return Path(text)


def _question_text(text: str) -> str:
    """A question as typed or read from a line of stdin: without a leading byte order mark (a file saved by Windows
    Notepad starts with one, and it was asked as part of the question) and surrounding whitespace."""
    return text.lstrip("\ufeff").strip()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guarded-rag", description="Ask questions over your local documents with a guarded local LLM."
    )
    p.add_argument("--config", type=Path, help="TOML settings file (env vars override it)")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser(
        "ingest",
        help="index documents (default: data/docs)",
        description="Index the .md, .markdown, .txt and .pdf files of the folders and files given; what cannot be read "
        "(a file over GUARDED_RAG_MAX_FILE_MB, a PDF whose text is larger still once extracted, an unreadable folder) "
        "is listed and the rest is indexed.",
    )
    ing.add_argument(
        "paths",
        nargs="*",
        type=_path_argument,
        help="files and folders to index (default: the folder GUARDED_RAG_DOCS_DIR, data/docs unless set; it must "
        "exist and be a folder: to index a single file, name it here)",
    )
    ing.add_argument("--rebuild", action="store_true", help="drop the index first (e.g. after changing the embedder)")
    ing.add_argument("--json", action="store_true")

    ask = sub.add_parser("ask", help="ask a question ('-' reads one question per stdin line)")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the JSON result (one object per line with '-')")
    ask.add_argument(
        "--trace", action="store_true", help="include the full trace events in the output (with --json: an 'events' field)"
    )
    ask.add_argument("--backend", choices=["auto", "ollama", "embedded"])

    doc = sub.add_parser(
        "doctor", help="check backend, model, index, trace store, input detectors, telemetry export and versions"
    )
    doc.add_argument("--json", action="store_true")

    from app.cli.traces import add_traces_command

    add_traces_command(sub)
    srv = sub.add_parser("serve", help="answer Ollama and OpenAI clients over HTTP with the guarded chain (see docs/SERVE.md)")
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    srv.add_argument("--port", type=int, default=ServeOptions().port, help="port (default: %(default)s)")
    srv.add_argument("--insecure", action="store_true", help="allow listening beyond loopback without GUARDED_RAG_API_TOKEN")
    srv.add_argument("--drain-timeout", type=float, default=30.0, help="seconds shutdown waits for answers in flight")
    defaults = ServeOptions()
    srv.add_argument(
        "--header-timeout",
        type=float,
        default=defaults.header_timeout,
        help="seconds a client has to send a request's headers before the connection is closed (default: %(default)s)",
    )
    srv.add_argument(
        "--body-timeout",
        type=float,
        default=defaults.body_timeout,
        help="seconds a client has to send a request's body before a 408 (default: %(default)s)",
    )
    srv.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME=FILE.toml",
        help='also serve guarded-rag:NAME with these settings changed (e.g. policy = "strict.toml"); repeatable',
    )

    from app.cli.calibrate import add_calibrate_command
    from app.cli.lab import add_lab_commands  # evaluation and experiments live in their own module
    from app.cli.policy import add_policy_commands

    add_lab_commands(sub)
    add_policy_commands(sub)
    add_calibrate_command(sub)
    return p


def _print_response(r: AskResponse, out: TextIO, lang: str = "en", *, trace: bool = False) -> None:
    """The human-readable result. `lang` "zh" (a question with Chinese characters): a refusal or clarification
    also says in Chinese what its guardrail's firing means (the reasons below stay English, as in --json).
    `trace`: every trace event after it, one line each, as `traces show` prints them."""
    badge = {
        "answered": "ANSWERED",
        "clarify": "NEEDS CLARIFICATION",
        "refused": "REFUSED",
        "fallback": "FALLBACK",
        "error": "ERROR",
    }[r.status]
    out.write(f"[{badge}]" + (f" (answered by: {r.rung})" if r.rung and r.status == "fallback" else "") + "\n")
    stopped_by = stopping_guardrail(r.status, r.message, r.guardrails)
    if lang == "zh" and stopped_by is not None and (headline := guard_headline(stopped_by.name, "zh")):
        out.write(f"  {headline}\n")
    if r.answer:
        out.write(r.answer + "\n")
    if r.message and r.status != "answered":
        out.write(f"  {r.message}\n")
    for q in r.clarifying_questions:
        out.write(f"  ? {q}\n")
    for c in r.citations:
        out.write(f"  [{c.label or '-'}] {one_line(c.source)} #{c.chunk_id}\n")
    fired = [g for g in r.guardrails if g.fired]
    for g in fired:
        out.write(f"  guardrail {g.name} ({g.stage}) fired: {g.reason}\n")
    passed = len(r.guardrails) - len(fired)
    out.write(
        f"  {passed} check{'' if passed == 1 else 's'} passed · {r.llm_calls} LLM call{'' if r.llm_calls == 1 else 's'} · {r.backend}/{r.model}{' at ' + r.host if r.host else ''} · {r.latency_ms:.0f} ms · trace {r.trace_id}\n"
    )
    if r.backend_fix:
        out.write(f"  note: {r.backend_fix}\n")
    if trace:
        out.writelines(event_line(e) for e in r.events)


def cmd_ask(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    options = AskOptions(settings={"backend": args.backend} if args.backend else {})
    if args.question == "-" and sys.stdin is None:  # started with stdin closed (`<&-`)
        say("error: 'ask -' reads questions from stdin, and stdin is closed\n")
        return EXIT_USAGE
    if args.question == "-" and isinstance(sys.stdin, io.TextIOWrapper):
        # Bytes that are not text decode as under the C.UTF-8 locale (their line is refused by input_size), not as
        # under en_US.UTF-8, where one such byte ended the run with a UnicodeDecodeError before the first answer.
        sys.stdin.reconfigure(errors="surrogateescape")
    # A generator, not a list: with '-' each line is answered as it arrives, so a tool that writes a question
    # and waits for its answer (a pipe kept open, a chat wrapper) is not left waiting for end-of-file.
    questions: Iterator[str]
    if args.question == "-":
        questions = (q for q in map(_question_text, sys.stdin) if q)
    else:
        questions = iter([_question_text(args.question)])  # a blank one is refused by input_size: "empty question"
    code, asked = EXIT_OK, False
    for q in questions:
        asked = True
        r = svc.ask(q, options=options)
        if args.json:
            out.write(json.dumps(r.to_json_dict(with_trace=args.trace), ensure_ascii=False) + "\n")
        else:
            _print_response(r, out, lang_of(q), trace=args.trace)
        out.flush()
        if r.status == "error":
            code = EXIT_FAIL
    if not asked:  # stdin held nothing but blank lines (or a byte order mark): say so, not a silent exit 0
        say("error: 'ask -' read no question from stdin: every line was blank\n")
        return EXIT_USAGE
    return code


def _missing(path: Path) -> bool:
    """No file or folder at `path`. One that cannot be looked at (a folder on the way is unreadable) is not missing:
    ingest says why it cannot read it (Path.exists raises PermissionError there on Python 3.11)."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def _docs_dir_problem(docs: Path) -> str | None:
    """Why `ingest` without paths cannot use GUARDED_RAG_DOCS_DIR, or None. A missing folder indexed nothing and
    exited 0, as if all was well; a file was indexed under the source "."."""
    try:
        is_folder = stat.S_ISDIR(docs.stat().st_mode)
    except OSError as exc:
        reason = (
            "does not exist" if isinstance(exc, FileNotFoundError | NotADirectoryError) else f"cannot be read ({exc.strerror})"
        )
        return (
            f"the documents folder {docs.absolute()} (GUARDED_RAG_DOCS_DIR) {reason}; create it, set GUARDED_RAG_DOCS_DIR to your "
            "documents folder, or name what to index: guarded-rag ingest PATH..."
        )
    if not is_folder:
        return (
            f"GUARDED_RAG_DOCS_DIR must name a folder, and {docs.absolute()} is not one; to index that one file, run "
            f"`guarded-rag ingest {docs.absolute()}`."
        )
    return None


def cmd_ingest(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    from app.cli.progress import tqdm_progress

    # A missing path that something was indexed from is a deletion to bring into the index (ingest removes its
    # documents and says so); one that never was is a typo, and nothing is ingested.
    missing = [p for p in args.paths if _missing(p) and not svc.indexed_from(p)]
    if missing:
        say(f"error: no such file or folder: {', '.join(map(str, missing))}\n")
        return EXIT_USAGE
    unusable = None if args.paths else _docs_dir_problem(svc.settings.docs_dir)
    if unusable:
        say(f"error: {unusable}\n")
        return EXIT_USAGE

    def waiting(message: str) -> None:  # another writer holds the index: say so, then wait for it
        say(f"{message}\n")
        sys.stderr.flush()

    try:
        report = svc.ingest(args.paths, progress=tqdm_progress(), rebuild=args.rebuild, on_wait=waiting)
    except KeyboardInterrupt:  # what the index holds now, and how to finish: a bare "interrupted" said neither
        held = "the index holds only the files read before it" if args.rebuild else "the files read before it are indexed"
        say(f"\ninterrupted: {held}; run the same command again to finish (files already indexed are skipped)\n")
        return EXIT_INTERRUPTED  # said once: re-raised, main() printed a second, bare "interrupted"
    if args.json:
        out.write(report.model_dump_json() + "\n")
    else:
        out.write(
            f"indexed: {len(report.added)} new, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
            f"{len(report.removed)} removed · {report.chunks_added} chunks · {report.chunks_per_s:.0f} chunks/s\n"
        )
        if report.set_aside:
            out.write(f"  the index could not be opened; its files were moved to {report.set_aside} (delete it when done)\n")
        for p in report.problems:
            out.write(f"  skipped {one_line(p.source)}: {p.message}\n")
        for f in report.flagged:
            out.write(f"  flagged {one_line(f.source)} #{f.chunk_id}: {one_line(f.reason)}\n")
        if report.not_read:
            kinds = report.not_read_kinds()
            out.write(
                f"  not read: {sum(report.not_read.values())} file(s) of other types ({kinds}); ingest reads "
                f"{', '.join(sorted(SUPPORTED_SUFFIXES))} (convert the others to one of these)\n"
            )
        if report.added or report.updated or report.removed:
            out.write(
                "hint: for a corpus other than the sample docs, run `guarded-rag calibrate` to fit the relevance "
                "thresholds to it (it writes a policy to load with GUARDED_RAG_POLICY)\n"
            )
    # The first question would otherwise wait for the detectors' one-off build; stderr keeps --json clean.
    for status in svc.input_detectors():
        say(f"input detectors: {status.line}\n")
    return EXIT_OK


@dataclass(frozen=True)
class UnopenedTraces:
    """The user's trace store, which would not open: doctor reports it as the failed `traces` check, its fix naming
    their settings (the service it checks the rest with runs on a throwaway store)."""

    settings: Settings
    error: str


def cmd_doctor(svc: GuardedRAG, args: argparse.Namespace, out: TextIO, *, unopened: UnopenedTraces | None = None) -> int:
    report = run_doctor(
        settings=unopened.settings if unopened else svc.settings,
        choice=svc.backend(refresh=True),
        index_stats=svc.index_stats,
        trace_count=svc.traces.count,
        integrity=svc.index_integrity,
        trace_status=svc.traces.status,
        telemetry=svc.telemetry_status,
        probe=lambda: svc.probe_telemetry(svc.settings.otel_timeout),
        detectors=svc.input_detectors,
        generation=svc.embedded_generation_problem,
        preload=svc.preload,
        chat_model=lambda timeout: svc.chat_model(timeout=timeout),
        trace_error=unopened.error if unopened else None,
        unknown_env=unknown_variables(),
    )
    if args.json:
        out.write(report.model_dump_json(indent=2) + "\n")
    else:
        for check in report.checks:
            out.write(f"[{'ok' if check.ok else 'PROBLEM'}] {check.name}: {check.detail}\n")
            if check.fix and not check.ok:
                out.write(f"       fix: {check.fix}\n")
        out.write("versions: " + ", ".join(f"{name} {version}" for name, version in report.versions.items()) + "\n")
    return EXIT_OK if report.ok else EXIT_FAIL


def _doctor_without_traces(
    settings: Settings, build: Callable[[Settings], GuardedRAG], args: argparse.Namespace, out: TextIO, error: TraceStoreError
) -> int:
    """The trace store would not open, yet the backend, model, index and detectors still deserve a check: run
    them on a service with a throwaway trace store, and report the real store as the failed `traces` check."""
    with tempfile.TemporaryDirectory(prefix="guarded-rag-doctor-") as tmp:
        try:
            svc = build(settings.model_copy(update={"trace_store": str(Path(tmp) / "traces.sqlite3")}))
        except (TraceStoreError, OSError, ValueError) as again:  # nothing else to check: say both, no traceback
            say(f"error: {error}\nerror: the other checks could not run either: {again}\n")
            return EXIT_FAIL
        try:
            return cmd_doctor(svc, args, out, unopened=UnopenedTraces(settings, str(error)))
        finally:
            svc.close()


def cmd_serve(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    from pydantic import ValidationError

    try:
        options = ServeOptions(
            host=args.host,
            port=args.port,
            insecure=args.insecure,
            drain_timeout=args.drain_timeout,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
        )
    except ValidationError as exc:  # one line naming the flag, not pydantic's dump (`--port 99999`)
        problems = "; ".join(
            f"--{str(p['loc'][0]).replace('_', '-')} {p['input']}: {p['msg']}" for p in exc.errors(include_url=False)
        )
        say(f"error: {problems}\n")
        return EXIT_USAGE
    try:
        profiles = {}
        for spec in args.profile:
            name, sep, path = spec.partition("=")
            if not sep or not name or not path:
                raise ValueError(f"--profile {spec!r}: expected NAME=FILE.toml")
            profiles[name] = svc.derive(**with_config_file(svc.settings, Path(path)).model_dump())
        run_server(svc, options, profiles=profiles)
    except (ExposureError, ValueError) as exc:
        say(f"error: {exc}\n")
        return EXIT_USAGE
    return EXIT_OK


def _stdout_to_devnull() -> None:
    """After the reader of stdout went away: so the interpreter's last flush of stdout cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _reader_left(stream: TextIO | None) -> bool:
    """Flush `stream`; True if the reader of stdout went away (stdout then writes to /dev/null)."""
    try:
        if stream is not None:
            stream.flush()
    except BrokenPipeError:
        _stdout_to_devnull()
        return True
    return False


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, *, build: Callable[[Settings], GuardedRAG] = GuardedRAG
) -> int:
    # everything the commands print quotes documents, answers or other people's questions (app/cli/terminal.py)
    # Started with stdout closed (`>&-`): the output is thrown away, as with >/dev/null (the command still runs; every
    # write used to fail with AttributeError after the work was done).
    stream = out or sys.stdout or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
    out = terminal_safe(stream)
    try:
        args = _parser().parse_args(argv)
    except SystemExit:  # --help, or a usage error: flushed here, where a reader gone away is the exit code below
        if _reader_left(sys.stdout):
            raise SystemExit(EXIT_PIPE) from None
        raise
    try:
        settings = load_settings(config_file=args.config)
        if args.command != "doctor":  # doctor lists them among its problems
            for message in unknown_variables():
                say(f"warning: {message}\n")
        # Before the service starts its threads: a long `serve` otherwise holds ever more freed memory (app/process/).
        tune_process(settings)
        svc = build(settings)
    except KeyboardInterrupt:  # Ctrl-C while the service loads (the embedder, the detectors)
        say("interrupted\n")
        return EXIT_INTERRUPTED
    except (SettingsError, ValueError) as exc:
        say(f"error: {exc}\n")
        return EXIT_USAGE
    except TraceStoreError as exc:  # the trace store cannot be opened: server down, credentials, schema too new
        if args.command == "doctor":
            return _doctor_without_traces(settings, build, args, out, exc)
        say(f"error: {exc}\n")
        return EXIT_FAIL
    from app.cli.calibrate import cmd_calibrate
    from app.cli.policy import run_policy_command
    from app.cli.traces import cmd_traces

    handlers = {
        "ask": cmd_ask,
        "ingest": cmd_ingest,
        "doctor": cmd_doctor,
        "traces": cmd_traces,
        "serve": cmd_serve,
        "policy": run_policy_command,
        "calibrate": cmd_calibrate,
    }
    try:
        if args.command in handlers:
            code = handlers[args.command](svc, args, out)
        else:
            from app.cli.lab import run_lab_command

            code = run_lab_command(svc, args, out)
        # What is still buffered goes out here, not in the interpreter's last flush, where a reader gone away
        # printed "Exception ignored ... BrokenPipeError" and ended the process with exit code 120.
        return EXIT_PIPE if _reader_left(stream) else code
    except KeyboardInterrupt:
        say("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `guarded-rag traces | head`: the reader has what it wanted; stop without a word
        _stdout_to_devnull()
        return EXIT_PIPE
    except (IndexBusyError, IndexUnavailableError) as exc:  # their messages say what to do
        say(f"error: {exc}\n")
        return EXIT_FAIL
    except Exception as exc:
        say(f"error: {type(exc).__name__}: {exc}\n")
        return EXIT_FAIL
    finally:
        # The queued traces are written and telemetry flushed here, not by exit handlers: entry() may end the
        # process with os._exit (a native model thread still running), which skips them.
        with contextlib.suppress(Exception):
            svc.close()


if __name__ == "__main__":
    raise SystemExit(main())
