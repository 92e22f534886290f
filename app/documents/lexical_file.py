"""The persisted form of the lexical index: one JSON file per collection under <home>/index/lexical/, with the
fingerprint of the chunk ids it covers and the tokenizer version it was cut with.

App layer, beside lexical.py (which owns when to read and write it). Written to a temporary file and renamed,
so a reader never sees half a file; anything unreadable or from another format/tokenizer reads as None, and
the index is rebuilt from the vector store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from app.documents.terms import TERMS_VERSION

FORMAT = 1
Entries = dict[str, tuple[str, tuple[str, ...]]]  # chunk id -> (source, terms)


def fingerprint(ids: Iterable[str]) -> str:
    """Chunk ids are content hashes (source + text), so the sorted ids identify exactly what is indexed."""
    digest = hashlib.sha256()
    for cid in sorted(ids):
        digest.update(cid.encode("utf-8") + b"\n")
    return digest.hexdigest()


def stamp(path: Path) -> tuple[int, int] | None:
    """(mtime_ns, size) of the file, or None when it does not exist: enough to notice another writer."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def read(path: Path) -> tuple[str, Entries] | None:
    """(fingerprint, entries) of a file this version can use, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing, unreadable, or half-written by a crashed writer
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("terms_version") != TERMS_VERSION:
        return None
    return str(data.get("fingerprint")), {cid: (src, tuple(ts)) for cid, src, ts in data["chunks"]}


def write(path: Path, entries: Mapping[str, tuple[str, tuple[str, ...]]]) -> None:
    payload = {
        "format": FORMAT,
        "terms_version": TERMS_VERSION,
        "fingerprint": fingerprint(entries),
        "chunks": [[cid, src, list(ts)] for cid, (src, ts) in entries.items()],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary file of its own for every write: two LexicalIndex objects of one process (a derived service's,
    # on a Chroma server, where no lock orders their flushes) writing one `.tmp<pid>` at once had one's rename
    # fail (FileNotFoundError) or move the other's half-written file into place.
    tmp = path.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
    try:
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
