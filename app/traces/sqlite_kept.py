"""The connection the saving thread (the store's trace writer) keeps open between batches: opening one per batch
and closing it (the close checkpoints the WAL) was ~0.9 of the writer's ~1.5 ms of CPU per trace (measured), on
two cores shared with the requests. Other threads get a short connection; a save that fails drops the kept one,
so the next opens afresh; a connection to a file since deleted or replaced is dropped too."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager

from app.traces.sqlite_file import FileId


class KeptConnection:
    """`open_new` opens a connection and says which file it opened; `current_file` says which file the path
    names now."""

    def __init__(
        self, open_new: Callable[[], tuple[sqlite3.Connection, FileId | None]], current_file: Callable[[], FileId | None]
    ) -> None:
        self._open_new = open_new
        self._current_file = current_file
        self._lock = threading.Lock()
        # (thread, connection, the file it was opened on) of the saving thread
        self._kept: tuple[threading.Thread, sqlite3.Connection, FileId | None] | None = None

    @contextmanager
    def saving(self) -> Iterator[sqlite3.Connection]:
        """The connection a save goes through: the kept one for the thread that keeps it (the first that saves),
        a short one, closed after, for any other."""
        me = threading.current_thread()
        with self._lock:
            kept = self._kept
        if kept is not None and kept[0] is not me:
            with closing(self._open_new()[0]) as conn:
                yield conn
            return
        if kept is not None and kept[2] != self._current_file():
            # The file was deleted or replaced since this connection opened it: its saves went to a file no one
            # will read again (counted as written, lost). Closed (it is ours) and the file at `path` opened afresh.
            self.drop(me)
            kept = None
        if kept is not None:
            conn, opened_on = kept[1], kept[2]
        else:
            conn, opened_on = self._open_new()
        with self._lock:
            self._kept = (me, conn, opened_on)
        try:
            yield conn
        except BaseException:
            self.drop(me)
            raise

    def drop(self, thread: threading.Thread | None = None) -> None:
        """Close the kept connection: `thread`'s, or (None) whichever thread keeps it unless that thread is
        still running and not the caller."""
        with self._lock:
            kept = self._kept
            if kept is None or (thread is not None and kept[0] is not thread):
                return
            if thread is None and kept[0] is not threading.current_thread() and kept[0].is_alive():
                # its thread may be inside a call on it (a save waiting for the write lock): closing a connection
                # another thread is using crashed the process (segfault); that thread releases it itself
                return
            self._kept = None
        kept[1].close()
