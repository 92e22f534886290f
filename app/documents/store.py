"""The process's one Chroma client per local index directory: built once under a lock, kept fresh when another
process wrote, every call bounded by a deadline, every write under the index's WriteLock. App layer, documents/.

Its parts: the client itself, built and rebuilt (store_client.py: why clients are built under locks), the errors
a call reads as (store_errors.py), the calls and the write sections (here).

Why each part (all measured here, chromadb 1.5):
- A client keeps the vector index in memory: a writer that opened it before another process wrote persists its
  stale copy over the other's vectors (exact lookups then fail), and a reader keeps missing new chunks. Every
  write section bumps a generation file (generation.py); a client whose generation is old is reopened before the
  next call.
  A client opened while another process was mid-write can fail a read once that writer goes on ("Error
  creating hnsw segment reader: Nothing found on disk", measured): a read that Chroma fails internally is
  retried once on a reopened client; an index still failing then is reported, not hidden.
- The local bindings and the HTTP client have no deadline of their own: calls go through app.deadline.
- A Chroma server (`server=`, app.documents.server builds its client) needs neither the write lock nor the
  generation file: the corruption above comes from several processes each holding their own in-memory copy of one
  directory's vector index and persisting it; a server is the one process owning its files and applies writes in
  the order they arrive (measured: four processes ingesting through one server lost no chunk and no exact lookup,
  tests/robustness/test_chroma_server.py). Its messages name the server's URL.
- Collection handles are cached per client. On a server nothing tells this process that another machine dropped and
  recreated the collection (`ingest --rebuild`): every call on the old handle failed with NotFoundError until
  restart (measured). A call failing so drops the handle and opens the collection by name again (`collection`).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import chromadb
import chromadb.errors
from chromadb.config import Settings as ChromaSettings
from filelock import Timeout

from app.deadline import DeadlineExceeded, Deadlines, NoSlotLeft
from app.documents.chroma_cache import BUILD_LOCK, forget_failed_system
from app.documents.generation import bump_generation, generation_stamp
from app.documents.store_client import OPEN_LOCK_NAME, ClientHolder
from app.documents.store_errors import CHROMA_DOWN, ChromaFailed, IndexUnavailableError, first_line, unavailable
from app.documents.writelock import OnWait, WriteLock

__all__ = ["OPEN_LOCK_NAME", "WRITE_FACTOR", "ChromaStore", "IndexUnavailableError", "store_for"]

T = TypeVar("T")
WRITE_FACTOR = 5  # a write call may take this many times the read deadline (large upsert batches)

_STORES: dict[str, ChromaStore] = {}  # one per index directory per process (under BUILD_LOCK), like chromadb's cache


def store_for(path: Path) -> ChromaStore:
    """The process's ChromaStore for `path` (created on first use; later callers share it). Deadlines and lock
    timeouts are per call, so callers with different settings can share one store."""
    key = str(Path(path).resolve())
    with BUILD_LOCK:
        found = _STORES.get(key)
        if found is None:
            found = _STORES[key] = ChromaStore(Path(key))
        return found


class ChromaStore:
    """`connect` builds the client (default: a PersistentClient on `path`). With `server` (its URL) the client is a
    Chroma server's: no write lock, no generation file, `path` unused; the deadlines matter most there (its client
    waits forever on a frozen server)."""

    def __init__(self, path: Path, *, connect: Callable[[], Any] | None = None, server: str | None = None) -> None:
        self.path = path
        self.server = server
        self.where = f"the Chroma server at {server}" if server else str(path)
        self.lock = WriteLock(path, timeout=600.0) if server is None else None
        # two index calls per question: their worker threads are kept between questions (app/deadline.py)
        self._deadlines = Deadlines(f"chroma:{server or path.name}", keep_idle=2)
        self._clients = ClientHolder(
            path,
            server=server,
            where=self.where,
            connect=connect
            or (lambda: chromadb.PersistentClient(path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False))),
            deadlines=self._deadlines,
            stamp=self._stamp,
            unavailable=self._unavailable,
        )
        self._writes = threading.Condition()  # guards _write_calls: write calls not yet ended
        self._write_calls = 0
        if server is None:
            path.mkdir(parents=True, exist_ok=True)

    # -- generations --------------------------------------------------------------------------------
    def _stamp(self) -> tuple[int, int] | None:
        if self.server is not None:  # one copy of the index, the server's: nothing to go stale
            return None
        return generation_stamp(self.path)

    def generation(self) -> tuple[int, int] | None:
        return self._stamp()

    def _bump(self, state: str) -> None:
        """Mark a write section as started ("writing") or finished ("done"); either way readers will reopen."""
        bump_generation(self.path, state)
        self._clients.seen_now()

    # -- calls ----------------------------------------------------------------------------------------
    def _unavailable(self, what: str, detail: str) -> IndexUnavailableError:
        return unavailable(what, detail, where=self.where, server=self.server)

    def run(self, what: str, fn: Callable[[Any], T], *, seconds: float, write: bool = False) -> T:
        """fn(client) within `seconds` (writes get WRITE_FACTOR times it); errors of fn propagate as they are,
        except Chroma's InternalError: IndexUnavailableError (a read is retried once on a reopened client)."""
        deadline = time.monotonic() + seconds * (WRITE_FACTOR if write else 1)
        try:
            return self._run_once(what, fn, deadline, write)
        except ChromaFailed as failed:
            if write or time.monotonic() >= deadline:
                raise failed.error from failed.__cause__
            self.mark_stale()  # forces a reopen on the next call, whatever the generation file says
        try:
            return self._run_once(what, fn, deadline, write)
        except ChromaFailed as failed:
            raise failed.error from failed.__cause__

    def _run_once(self, what: str, fn: Callable[[Any], T], deadline: float, write: bool) -> T:
        self._clients.enter(deadline, what)
        client = self._clients.current
        left = max(0.0, deadline - time.monotonic())
        if write:
            with self._writes:
                self._write_calls += 1

        def call() -> T:
            try:
                return fn(client)
            except CHROMA_DOWN as exc:  # Chroma could not read its files, or its server did not answer
                detail = f"{type(exc).__name__}: {first_line(exc)}"
                raise ChromaFailed(self._unavailable(what, detail)) from exc
            finally:
                self._clients.leave()  # when the call really ends, even after its caller stopped waiting
                if write:
                    with self._writes:
                        self._write_calls -= 1
                        self._writes.notify_all()

        try:
            return self._deadlines.call(call, seconds=left, what=what)
        except NoSlotLeft as exc:  # `call` never ran: count it out here
            self._clients.leave()
            if write:
                with self._writes:
                    self._write_calls -= 1
            raise self._unavailable(what, str(exc)) from None
        except DeadlineExceeded as exc:
            raise self._unavailable(what, str(exc)) from None

    def collection(
        self, name: str, opener: Callable[[Any], Any], what: str, fn: Callable[[Any], T], *, seconds: float, write: bool = False
    ) -> T:
        """fn(collection) where the collection comes from opener(client), cached until the client is reopened."""

        def open_collection(client: Any) -> Any:
            try:
                with self._clients.creating(time.monotonic() + seconds):  # opener may create it (get_or_create)
                    found = opener(client)
            except Timeout:
                raise self._unavailable(what, "another process kept creating the collection") from None
            self._clients.keep(name, client, found)
            return found

        def on_collection(client: Any) -> T:
            cached = self._clients.cached(name, client)
            if cached is not None:
                try:
                    return fn(cached)
                except chromadb.errors.NotFoundError:
                    # The handle names a collection another process deleted (a rebuild on another machine, through
                    # the same server): dropped, so it is opened by name again. A read is retried at once; a write
                    # is not, since the new collection may be another embedder's (the caller's embedder check ran
                    # on the old one's metadata): the caller runs it again.
                    self.forget(name)
                    if write:
                        raise self._unavailable(
                            what, f"the collection {name!r} was deleted or replaced by another process"
                        ) from None
            try:
                return fn(open_collection(client))
            except chromadb.errors.NotFoundError as exc:  # deleted again at once, or no such tenant or database
                raise self._unavailable(what, f"NotFoundError: {first_line(exc)}") from None

        return self.run(what, on_collection, seconds=seconds, write=write)

    def mark_stale(self) -> None:
        """The next call reopens the client (a caller saw results from an outdated view)."""
        self._clients.mark_stale()

    def forget(self, name: str) -> None:
        """Drop a cached collection handle (after it was deleted and recreated)."""
        self._clients.forget(name)

    # -- writing --------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(
        self,
        what: str,
        *,
        seconds: float,
        lock_timeout: float,
        on_wait: OnWait | None = None,
        unreadable: Callable[[IndexUnavailableError], None] | None = None,
    ) -> Iterator[None]:
        """Hold the write lock. The outermost section reopens a stale client first (writing through a stale
        one is what corrupts) and bumps the generation at its start and its end, so a writer killed midway
        still tells the readers to reopen. A write call that outlived its deadline keeps the lock held
        until it really ends. On a Chroma server: no lock (see the module docstring). `unreadable` (a rebuild's)
        is called, under the lock, when the index cannot be opened, instead of failing the section."""
        if self.lock is None:
            yield
            return
        outer = self.lock.acquire(what, on_wait=on_wait, timeout=lock_timeout)
        try:
            if outer:  # reopens the client first if another process wrote since it was opened
                try:
                    self.run(f"{what}: refreshing the index", lambda _client: None, seconds=seconds)
                except IndexUnavailableError as exc:
                    if unreadable is None:
                        raise
                    unreadable(exc)
                self._bump("writing")
            yield
        finally:
            if not outer:
                self.lock.release(outer)
            elif self._write_calls:
                self.lock.release_later(self._finish_stuck_writes)
            else:
                self._bump("done")
                self.lock.release(outer)

    def set_aside(self) -> Path | None:
        """Move a local index's files that Chroma cannot open (a damaged chroma.sqlite3) into a sibling folder and
        start empty; the caller holds the write lock and is rebuilding. Returns that folder (None on a server, whose
        files are not ours to move). Moved, not deleted: the files may still matter to whoever investigates."""
        if self.server is not None:
            return None
        self.close()
        with BUILD_LOCK:
            forget_failed_system(self.path)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{uuid.uuid4().hex[:6]}")
        aside.mkdir()
        for entry in self.path.iterdir():
            if not entry.name.startswith(".guarded-rag-"):  # our lock, owner and generation files stay
                entry.rename(aside / entry.name)
        self.mark_stale()
        return aside

    def _finish_stuck_writes(self) -> None:
        with self._writes:
            while self._write_calls:
                self._writes.wait()
        self._bump("done")

    def close(self) -> None:
        """Release the client (tests, benches); the next call opens a new one."""
        self._clients.close()
