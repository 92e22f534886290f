"""The `guarded-rag` command line: a thin layer over GuardedRAG (the same API the UI and tests use).

Errors a user can fix are printed as one clear line and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from app import (
    GuardedRAG,
    IndexBusyError,
    IndexUnavailableError,
    PolicyError,
    Settings,
    SettingsError,
    TraceStoreError,
    load_settings,
    tune_process,
    unknown_variables,
)
from app.cli.ask import add_ask_command, cmd_ask
from app.cli.calibrate import add_calibrate_command, cmd_calibrate
from app.cli.codes import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_PIPE, EXIT_USAGE
from app.cli.doctor import add_doctor_command, cmd_doctor, doctor_without_policy, doctor_without_traces
from app.cli.ingest import add_ingest_command, cmd_ingest
from app.cli.lab import add_lab_commands, run_lab_command
from app.cli.policy import add_policy_commands, run_policy_command
from app.cli.serve import add_serve_command, cmd_serve
from app.cli.terminal import say, terminal_safe
from app.cli.traces import add_traces_command, cmd_traces


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guarded-rag", description="Ask questions over your local documents with a guarded local LLM."
    )
    p.add_argument("--config", type=Path, help="TOML settings file (env vars override it)")
    sub = p.add_subparsers(dest="command", required=True)
    # One module per command (app/cli/<command>.py), each adding its own subparser, in the order --help lists them.
    add_ingest_command(sub)
    add_ask_command(sub)
    add_doctor_command(sub)
    add_traces_command(sub)
    add_serve_command(sub)
    add_lab_commands(sub)
    add_policy_commands(sub)
    add_calibrate_command(sub)
    return p


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
    except PolicyError as exc:  # the policy file: doctor still checks the rest and names it; every other command stops
        if args.command == "doctor":
            return doctor_without_policy(settings, build, args, out, exc)
        say(f"error: {exc}\n")
        return EXIT_USAGE
    except (SettingsError, ValueError) as exc:
        say(f"error: {exc}\n")
        return EXIT_USAGE
    except TraceStoreError as exc:  # the trace store cannot be opened: server down, credentials, schema too new
        if args.command == "doctor":
            return doctor_without_traces(settings, build, args, out, exc)
        say(f"error: {exc}\n")
        return EXIT_FAIL
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
        code = handlers.get(args.command, run_lab_command)(svc, args, out)  # lab's commands: eval, lab
        # What is still buffered goes out here, not in the interpreter's last flush, where a reader gone away
        # printed "Exception ignored ... BrokenPipeError" and ended the process with exit code 120.
        return EXIT_PIPE if _reader_left(stream) else code
    except KeyboardInterrupt:
        say("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `guarded-rag traces | head`: the reader has what it wanted; stop without a word
        _stdout_to_devnull()
        return EXIT_PIPE
    except (IndexBusyError, IndexUnavailableError, TraceStoreError) as exc:  # their messages say what to do
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
