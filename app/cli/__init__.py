"""The `guarded-rag` command line: a thin view over the app's public API, like the Streamlit pages.
main.py has the core commands (ask, ingest, doctor, traces), lab.py the evaluation and experiments."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from app import SettingsError, limit_malloc_arenas, load_settings


def main(argv: Any = None, out: Any = None, **kwargs: Any) -> int:
    """The console script: caps glibc's malloc arenas before the app's libraries load (one of them starts a
    thread at import, and arenas made before the cap stay: app/process/allocator.py), then runs the command."""
    with suppress(SettingsError):  # the command reports it, with the rest of the configuration
        limit_malloc_arenas(load_settings().malloc_arena_max)
    from app.cli.main import main as run

    return run(argv, out, **kwargs)


__all__ = ["main"]
