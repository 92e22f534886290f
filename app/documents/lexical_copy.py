"""The lexical index's file as this process last saw it: read it (remembering which file that was), tell whether
another process saved one since, and save over it only when the owner allows writing now and, for a copy rebuilt
from the store, only while no newer file was saved meanwhile.

App layer, used by lexical.py (which decides when); the file's format and its atomic write are lexical_file.py's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from app.documents import lexical_file
from app.documents.lexical_file import Entries

Stamp = tuple[int, int]  # (mtime_ns, size) of a file


class LexicalCopy:
    """The file at `path`. `may_persist`: entered around every write, yields whether writing is allowed now (the
    owner's index write lock)."""

    def __init__(self, path: Path, may_persist: Callable[[], contextlib.AbstractContextManager[bool]] | None = None) -> None:
        self._path = path
        self._may_persist = may_persist or _always
        self._stamp: Stamp | None = None  # of the file we last read or wrote

    def current(self) -> Stamp | None:
        """The stamp of the file on disk now (None: no file)."""
        return lexical_file.stamp(self._path)

    def seen(self, stamp: Stamp | None) -> None:
        """Take `stamp` (from `current`) as the file this process's entries are as new as."""
        self._stamp = stamp

    def changed(self) -> bool:
        """Whether the file on disk is another than the one this process last read or wrote."""
        return lexical_file.stamp(self._path) != self._stamp

    def read(self) -> tuple[str, Entries] | None:
        """(fingerprint, entries) of the file, remembered as seen; None when it is missing or unreadable."""
        current = lexical_file.stamp(self._path)
        data = lexical_file.read(self._path) if current is not None else None
        if data is not None:
            self._stamp = current
        return data

    def save(self, chunks: Entries, *, over_newer: bool) -> bool:
        """Write `chunks`; False (nothing written) when writing is not allowed now, or when `over_newer` is False
        and another process saved a file since this one last read or wrote it."""
        with self._may_persist() as allowed:
            if not allowed:
                return False
            if not over_newer and self.changed():
                # a copy rebuilt from the store while another process saved a newer file (reading the store
                # takes minutes on a large corpus): that file is read instead (ensure), not overwritten
                return False
            lexical_file.write(self._path, chunks)
            self._stamp = lexical_file.stamp(self._path)
        return True


@contextlib.contextmanager
def _always() -> Iterator[bool]:
    yield True
