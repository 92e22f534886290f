"""The `guarded-rag` command line: a thin view over the app's public API, like the Streamlit pages.
main.py has the core commands (ask, ingest, doctor, serve); traces.py, policy.py, calibrate.py and lab.py one
command family each; codes.py the exit codes they share."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import suppress
from typing import Any

from app.cli.codes import EXIT_INTERRUPTED


def entry(argv: Any = None, out: Any = None, **kwargs: Any) -> int:
    """The console script (named `entry`, not `main`: importing the submodule app.cli.main rebinds the package's
    `main` attribute to that module): caps glibc's malloc arenas before the app's libraries load (one of them starts a
    thread at import, and arenas made before the cap stay: app/process/allocator.py), then runs the command."""
    try:  # Ctrl-C may land anywhere here, while the app's libraries import (seconds) too
        from app import SettingsError, limit_malloc_arenas, load_settings

        with suppress(SettingsError):  # the command reports it, with the rest of the configuration
            limit_malloc_arenas(load_settings().malloc_arena_max)
        # pypdf logs its parse warnings ("EOF marker not found") through Python's last-resort handler, i.e. onto
        # the ingest progress bar; the ingest report already says why a PDF was skipped.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        from app.cli.main import main as run

        code = run(argv, out, **kwargs)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED or _generation_running():
        # Ctrl-C, or an embedded model call its client gave up on (a timeout), can leave a native llama.cpp thread
        # running that Python cannot stop; letting the interpreter finalise around that thread killed the process
        # with SIGSEGV after it had printed its result (2 of 5 interrupts during `ask`, and 2 of 6 `ask` runs
        # after an embedded timeout, measured). main() has closed the service (the queued traces are written);
        # end here, without exit handlers.
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):
                stream.flush()
        os._exit(code)
    return code


def _generation_running() -> bool:
    from app import generation_running

    return generation_running()


__all__ = ["entry"]
