"""The one Chroma client of a ChromaStore (app/documents/store.py): built, kept while it is current, rebuilt
when another process wrote, with the calls in flight counted so a client is never replaced under one.

Why each part (measured here, chromadb 1.5):
- Building PersistentClient for one path from several threads at once fails inside chromadb (its client cache
  is process-global and unlocked: AttributeError 'RustBindingsAPI' object has no attribute 'bindings',
  KeyError on the path), so clients are built under one process-wide lock (chroma_cache.py).
- A client keeps the vector index in memory, so one whose generation (generation.py) is older than the file's is
  rebuilt before the next call, once the calls still running on it have ended.
- Two processes opening a directory that has no database yet both run Chroma's schema migrations, and one fails
  ("table collections already exists": measured, 3 of 20 processes in pairs started together on fresh directories;
  the CLI ingest and the app started on a new home hit it). Creating the same collection at once is the same kind
  of race. So a local client is built, and a collection created, under a short cross-process lock of its own
  (OPEN_LOCK_NAME): not the WriteLock, which a whole ingest holds, so opening never waits for a writer to finish.
- Collection handles are cached per client: a rebuilt client starts with none.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock

from app.deadline import Deadlines
from app.documents.chroma_cache import BUILD_LOCK, forget_failed_system
from app.documents.store_errors import OPEN_FAILED, IndexUnavailableError, first_line

OPEN_LOCK_NAME = ".guarded-rag-open.lock"

Stamp = tuple[object, ...] | None


class ClientHolder:
    """`connect` builds a client; `stamp` reads the generation the index is at now (None: nothing goes stale);
    `unavailable(what, detail)` is the error a call that cannot get a client raises; `where` names the index in
    messages. With `server` set there is no open lock and a failed build leaves chromadb's cache alone."""

    def __init__(
        self,
        path: Path,
        *,
        server: str | None,
        where: str,
        connect: Callable[[], Any],
        deadlines: Deadlines,
        stamp: Callable[[], Stamp],
        unavailable: Callable[[str, str], IndexUnavailableError],
    ) -> None:
        self._path = path
        self._server = server
        self._where = where
        self._connect = connect
        self._deadlines = deadlines
        self._stamp = stamp
        self._unavailable = unavailable
        # held only while a client is built or a collection created (see the module docstring)
        self._open_lock = FileLock(str(path / OPEN_LOCK_NAME), thread_local=False) if server is None else None
        self._cond = threading.Condition()
        self.current: Any = None
        self._seen: Stamp = None  # generation file stamp the client was opened at
        self._collections: dict[str, Any] = {}
        self._in_flight = 0
        self._reopening = False

    @contextlib.contextmanager
    def creating(self, deadline: float) -> Iterator[None]:
        """No other process builds a client or creates a collection on this directory meanwhile (a no-op on a
        server). Raises filelock.Timeout when the deadline passes first."""
        if self._open_lock is None:
            yield
            return
        with self._open_lock.acquire(timeout=max(0.0, deadline - time.monotonic()), poll_interval=0.02):
            yield

    def _open(self, seconds: float) -> None:
        """(Re)build the client; called with `_reopening` set and nothing in flight."""
        deadline = time.monotonic() + seconds

        def build() -> Any:
            with self.creating(deadline), BUILD_LOCK:
                if self.current is not None:
                    with contextlib.suppress(Exception):  # a broken old client must not block the new one
                        self.current.close()
                try:
                    return self._connect()
                except Exception:
                    if self._server is None:
                        forget_failed_system(self._path)
                    raise

        stamp = self._stamp()
        try:
            client = self._deadlines.call(build, seconds=seconds, what=f"opening the index at {self._where}")
        except BaseException:  # build closes the old client first: a later call must reopen, never use it
            self.current, self._collections = None, {}
            raise
        self.current, self._seen, self._collections = client, stamp, {}

    def enter(self, deadline: float, what: str) -> None:
        """Count a call in; reopen first when another process wrote since the client was opened."""
        with self._cond:
            while True:
                left = deadline - time.monotonic()
                if self._reopening:
                    if left <= 0 or not self._cond.wait(left):
                        raise self._unavailable(what, "the index is being reopened after another process wrote it")
                    continue
                if self.current is not None and self._stamp() == self._seen:
                    self._in_flight += 1
                    return
                if self._in_flight:  # let running calls finish on the old client before replacing it
                    if left <= 0 or not self._cond.wait(left):
                        raise self._unavailable(what, "earlier calls are still running on the old view of the index")
                    continue
                self._reopening = True
                break
        try:
            self._open(max(0.1, deadline - time.monotonic()))
        except OPEN_FAILED as exc:
            raise self._unavailable(what, f"{type(exc).__name__}: {first_line(exc)}") from None
        finally:
            with self._cond:
                self._reopening = False
                self._cond.notify_all()
        with self._cond:
            self._in_flight += 1

    def leave(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def seen_now(self) -> None:
        """The client is current with the generation as it is now (this process just bumped it)."""
        with self._cond:
            self._seen = self._stamp()

    def mark_stale(self) -> None:
        """The next call reopens the client."""
        with self._cond:
            self._seen = ("stale",)

    def cached(self, name: str, client: Any) -> Any:
        """The collection handle cached for `client`, or None (none yet, or `client` was replaced since)."""
        return self._collections.get(name) if self.current is client else None

    def keep(self, name: str, client: Any, collection: Any) -> None:
        """Cache `collection` for `client` while it is still the current one."""
        if self.current is client:
            self._collections[name] = collection

    def forget(self, name: str) -> None:
        self._collections.pop(name, None)

    def close(self) -> None:
        """Release the client; the next call opens a new one."""
        with self._cond:
            client, self.current, self._collections = self.current, None, {}
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
