"""The generation file of a local index: every write section replaces it (a new inode) when it starts and when it
ends, so a process's Chroma client tells with one stat() that another process wrote since it opened the index,
and reopens before its next call (store.py says why a stale client must not be used)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

GENERATION_NAME = ".guarded-rag-generation"


def generation_stamp(path: Path) -> tuple[int, int] | None:
    """(inode, mtime in ns) of the generation file of the index at `path`; None when no write section ever ran."""
    try:
        info = os.stat(path / GENERATION_NAME)
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns)


def bump_generation(path: Path, state: str) -> None:
    """Replace the generation file of the index at `path`, saying a write section started ("writing") or finished
    ("done"); either way readers will reopen."""
    tmp = path / f"{GENERATION_NAME}.{os.getpid()}.tmp"
    tmp.write_text(f"{state} {uuid.uuid4().hex}", encoding="utf-8")
    os.replace(tmp, path / GENERATION_NAME)  # a new inode: readers see the change with one stat()
