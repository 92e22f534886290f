"""The `guarded-rag` command line: a thin view over the app's public API, like the Streamlit pages.
main.py has the core commands (ask, ingest, doctor, serve); traces.py, policy.py, calibrate.py and lab.py one
command family each; codes.py the exit codes they share."""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from app import SettingsError, limit_malloc_arenas, load_settings


def entry(argv: Any = None, out: Any = None, **kwargs: Any) -> int:
    """The console script (named `entry`, not `main`: importing the submodule app.cli.main rebinds the package's
    `main` attribute to that module): caps glibc's malloc arenas before the app's libraries load (one of them starts a
    thread at import, and arenas made before the cap stay: app/process/allocator.py), then runs the command."""
    with suppress(SettingsError):  # the command reports it, with the rest of the configuration
        limit_malloc_arenas(load_settings().malloc_arena_max)
    # pypdf logs its parse warnings ("EOF marker not found") through Python's last-resort handler, i.e. onto the
    # ingest progress bar; the ingest report already says why a PDF was skipped.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    from app.cli.main import main as run

    return run(argv, out, **kwargs)


__all__ = ["entry"]
