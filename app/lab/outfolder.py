"""Whether a lab command may write its files into an output folder: `eval --out` and `lab --out` write reports
under fixed names (report.md, report.json, ...) and used to replace a user's own files of those names.

App layer (lab), pure file checks: one rule for both, each command naming the file that marks its own folders.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def foreign_folder(out: Path, *, marker: str, ours: Callable[[bytes], bool], what: str) -> str | None:
    """Why a command must not write into `out`, or None: `out` is missing (the command creates it), empty, or an
    earlier folder of this command (its `marker` file, read whole, passes `ours`). `what` names that command's
    runs in the reason ("an evaluation run")."""
    if not out.is_dir():
        return None  # missing, or a file: writing there fails, and the CLI checks that first
    marked = out / marker
    if marked.is_file():
        try:
            mine = ours(marked.read_bytes())
        except OSError:
            mine = False
        return None if mine else f"its {marker} was not written by {what}"
    if next(out.iterdir(), None) is not None:
        return f"it holds files and no {marker} of {what}"
    return None
