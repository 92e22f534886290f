"""The generation file of a local index: every write section replaces it (a new inode) when it starts and when it
ends, so a process's Chroma client tells with one stat() that another process wrote since it opened the index,
and reopens before its next call (store.py says why a stale client must not be used)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from app.documents.store_errors import IndexUnavailableError

GENERATION_NAME = ".guarded-rag-generation"


def not_a_folder(path: Path) -> IndexUnavailableError:
    """What a user reads when the index folder `path` is a file: the index cannot be opened, and how to repair it.
    It names the folder as the user knows it (`index` in the home folder), never a server path."""
    return IndexUnavailableError(
        f"the document index cannot be opened: its folder ({path.name!r} in the guarded-rag home folder) is a file, "
        "not a folder. Move that file away (or delete it), then index the documents again: "
        '`guarded-rag ingest --rebuild`, or tick "Rebuild the index from scratch" on the Documents page and re-index all.'
    )


def generation_stamp(path: Path) -> tuple[int, int] | None:
    """(inode, mtime in ns) of the generation file of the index at `path`; None when no write section ever ran.
    IndexUnavailableError when `path` is a file, not a folder."""
    try:
        info = os.stat(path / GENERATION_NAME)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise not_a_folder(path) from None
    return (info.st_ino, info.st_mtime_ns)


def bump_generation(path: Path, state: str) -> None:
    """Replace the generation file of the index at `path`, saying a write section started ("writing") or finished
    ("done"); either way readers will reopen. IndexUnavailableError when `path` is a file, not a folder."""
    tmp = path / f"{GENERATION_NAME}.{os.getpid()}.tmp"
    try:
        tmp.write_text(f"{state} {uuid.uuid4().hex}", encoding="utf-8")
    except NotADirectoryError:
        raise not_a_folder(path) from None
    os.replace(tmp, path / GENERATION_NAME)  # a new inode: readers see the change with one stat()
