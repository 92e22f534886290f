"""Output paths the commands are given (--out): checked before the work starts.

App layer, CLI only. `lab`, `eval` and `calibrate` run for minutes before they write anything; a --out in a
folder this user cannot write (a typo, a read-only mount) used to fail only then, with the work lost.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written into `folder` (created if missing, as the run would), or None."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():  # mkdir would say "File exists" or "Not a directory"
        return f"{existing} is a file, not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".guarded-rag-write-test-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be written (its folder, or a folder in its place), or None."""
    if path.is_dir():
        return "it is a folder; name a file"
    return folder_problem(path.parent)
