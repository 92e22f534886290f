"""The command line's view of ingest progress: one tqdm bar on stderr, driven by IngestProgress events.

App layer, used by the CLI only (the UI draws its own progress); kept apart from ingest itself, which only
emits events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app import IngestProgress
from app.cli.terminal import one_line


class _TqdmProgress:
    """A progress callback drawing one tqdm bar on stderr; the bar is created on the first event."""

    def __init__(self, desc: str) -> None:
        self._desc = desc
        self._bar: Any = None

    def __call__(self, event: IngestProgress) -> None:
        from tqdm import tqdm  # deferred: only the CLI draws bars

        if self._bar is None:
            self._bar = tqdm(total=event.total, desc=self._desc, unit="file", leave=True)  # stderr by default
        # the file's name, as the folder spells it: it may hold control characters (app/cli/terminal.py); drawn
        # at every event (a few per file, one per embedding batch), not at tqdm's pace, which skipped the label
        # of a file that came and went between two of its redraws
        self._bar.set_postfix_str(one_line(event.label)[-80:], refresh=False)
        self._bar.update(event.done - self._bar.n)
        self._bar.refresh()
        if event.stage == "done":
            self._bar.close()


def tqdm_progress(desc: str = "ingest") -> Callable[[IngestProgress], None]:
    """A callback for `ingest_paths(progress=...)` that drives a tqdm bar on stderr (the CLI's choice)."""
    return _TqdmProgress(desc)
