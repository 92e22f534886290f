"""The process's one Chroma client per local index directory: built once under a lock, kept fresh when another
process wrote, every call bounded by a deadline, every write under the index's WriteLock. App layer, documents/.

Why each part (all measured here, chromadb 1.5):
- Building PersistentClient for one path from several threads at once fails inside chromadb (its client cache
  is process-global and unlocked: AttributeError 'RustBindingsAPI' object has no attribute 'bindings',
  KeyError on the path), so clients are built under one process-wide lock, once per path (chroma_cache.py).
- A client keeps the vector index in memory: a writer that opened it before another process wrote persists its
  stale copy over the other's vectors (exact lookups then fail), and a reader keeps missing new chunks. Every
  write section bumps a generation file (generation.py); a client whose generation is old is reopened before the
  next call.
  A client opened while another process was mid-write can fail a read once that writer goes on ("Error
  creating hnsw segment reader: Nothing found on disk", measured): a read that Chroma fails internally is
  retried once on a reopened client; an index still failing then is reported, not hidden.
- Two processes opening a directory that has no database yet both run Chroma's schema migrations, and one fails
  ("table collections already exists": measured, 3 of 20 processes in pairs started together on fresh directories;
  the CLI ingest and the app started on a new home hit it). Creating the same collection at once is the same kind
  of race. So a local client is built, and a collection created, under a short cross-process lock of its own
  (OPEN_LOCK_NAME): not the WriteLock, which a whole ingest holds, so opening never waits for a writer to finish.
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
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import chromadb
import chromadb.errors
import httpx
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout

from app.deadline import DeadlineExceeded, Deadlines, NoSlotLeft
from app.documents.chroma_cache import BUILD_LOCK, forget_failed_system
from app.documents.generation import bump_generation, generation_stamp
from app.documents.writelock import OnWait, WriteLock

T = TypeVar("T")
# InternalError: the local store failed on its own files. httpx errors and ConnectionError: a Chroma server is
# down or dropped the connection (measured: a killed server raises httpx.ConnectError on existing clients).
_CHROMA_DOWN: tuple[type[BaseException], ...] = (chromadb.errors.InternalError, httpx.HTTPError, ConnectionError)
# ValueError: no server; Timeout: another process kept the open lock past the deadline
_OPEN_FAILED: tuple[type[BaseException], ...] = (DeadlineExceeded, ValueError, Timeout, *_CHROMA_DOWN)
OPEN_LOCK_NAME = ".guarded-rag-open.lock"
WRITE_FACTOR = 5  # a write call may take this many times the read deadline (large upsert batches)

_STORES: dict[str, ChromaStore] = {}  # one per index directory per process (under BUILD_LOCK), like chromadb's cache


class IndexUnavailableError(RuntimeError):
    """The index did not answer in time or could not be opened; the message says what to do."""


class _ChromaFailed(Exception):
    """Carries the IndexUnavailableError of a call Chroma failed internally, so `run` can retry it once."""

    def __init__(self, error: IndexUnavailableError) -> None:
        super().__init__(str(error))
        self.error = error


# A server that answered but refused: 401/403 from Chroma's auth or a proxy in front of it, chromadb's auth errors.
_REFUSED = re.compile(r"\b40[13]\b|Unauthorized|Forbidden|AuthError|AuthorizationError", re.IGNORECASE)


def _first_line(exc: BaseException) -> str:
    """The gist of an error for a user message (httpx adds a second line pointing to MDN's status page)."""
    return (str(exc).strip().splitlines() or [""])[0][:200]


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
        self._connect = connect or (
            lambda: chromadb.PersistentClient(path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False))
        )
        self.lock = WriteLock(path, timeout=600.0) if server is None else None
        # held only while a client is built or a collection created (see the module docstring)
        self._open_lock = FileLock(str(path / OPEN_LOCK_NAME), thread_local=False) if server is None else None
        # two index calls per question: their worker threads are kept between questions (app/deadline.py)
        self._deadlines = Deadlines(f"chroma:{server or path.name}", keep_idle=2)
        self._cond = threading.Condition()
        self._client: Any = None
        self._seen: tuple[object, ...] | None = None  # generation file stamp the client was opened at
        self._collections: dict[str, Any] = {}
        self._in_flight = 0
        self._reopening = False
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
        with self._cond:
            self._seen = self._stamp()

    # -- the client -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _creating(self, deadline: float) -> Iterator[None]:
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
            with self._creating(deadline), BUILD_LOCK:
                if self._client is not None:
                    with contextlib.suppress(Exception):  # a broken old client must not block the new one
                        self._client.close()
                try:
                    return self._connect()
                except Exception:
                    if self.server is None:
                        forget_failed_system(self.path)
                    raise

        stamp = self._stamp()
        client = self._deadlines.call(build, seconds=seconds, what=f"opening the index at {self.where}")
        self._client, self._seen, self._collections = client, stamp, {}

    def _enter(self, deadline: float, what: str) -> None:
        """Count a call in; reopen first when another process wrote since the client was opened."""
        with self._cond:
            while True:
                left = deadline - time.monotonic()
                if self._reopening:
                    if left <= 0 or not self._cond.wait(left):
                        raise self._unavailable(what, "the index is being reopened after another process wrote it")
                    continue
                if self._client is not None and self._stamp() == self._seen:
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
        except _OPEN_FAILED as exc:
            raise self._unavailable(what, f"{type(exc).__name__}: {_first_line(exc)}") from None
        finally:
            with self._cond:
                self._reopening = False
                self._cond.notify_all()
        with self._cond:
            self._in_flight += 1

    def _leave(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def _unavailable(self, what: str, detail: str) -> IndexUnavailableError:
        if self.server is not None and _REFUSED.search(detail):  # it answered: asking whether it runs misleads
            return IndexUnavailableError(
                f"the document index refused the request: {what} at {self.where} ({detail}). Check the token "
                "(GUARDED_RAG_CHROMA_TOKEN) and that it may use this collection; `guarded-rag doctor` checks it."
            )
        if self.server is not None:
            return IndexUnavailableError(
                f"the document index did not answer: {what} at {self.where} ({detail}). Is the server running and "
                "reachable from here? Try again; `guarded-rag doctor` checks it."
            )
        return IndexUnavailableError(
            f"the document index did not answer: {what} ({detail}). Try again; if it persists, run `guarded-rag doctor`."
        )

    def run(self, what: str, fn: Callable[[Any], T], *, seconds: float, write: bool = False) -> T:
        """fn(client) within `seconds` (writes get WRITE_FACTOR times it); errors of fn propagate as they are,
        except Chroma's InternalError: IndexUnavailableError (a read is retried once on a reopened client)."""
        deadline = time.monotonic() + seconds * (WRITE_FACTOR if write else 1)
        try:
            return self._run_once(what, fn, deadline, write)
        except _ChromaFailed as failed:
            if write or time.monotonic() >= deadline:
                raise failed.error from failed.__cause__
            self.mark_stale()  # forces a reopen on the next call, whatever the generation file says
        try:
            return self._run_once(what, fn, deadline, write)
        except _ChromaFailed as failed:
            raise failed.error from failed.__cause__

    def _run_once(self, what: str, fn: Callable[[Any], T], deadline: float, write: bool) -> T:
        self._enter(deadline, what)
        client = self._client
        left = max(0.0, deadline - time.monotonic())
        if write:
            with self._cond:
                self._write_calls += 1

        def call() -> T:
            try:
                return fn(client)
            except _CHROMA_DOWN as exc:  # Chroma could not read its files, or its server did not answer
                detail = f"{type(exc).__name__}: {_first_line(exc)}"
                raise _ChromaFailed(self._unavailable(what, detail)) from exc
            finally:
                self._leave()  # when the call really ends, even after its caller stopped waiting
                if write:
                    with self._cond:
                        self._write_calls -= 1
                        self._cond.notify_all()

        try:
            return self._deadlines.call(call, seconds=left, what=what)
        except NoSlotLeft as exc:  # `call` never ran: count it out here
            self._leave()
            if write:
                with self._cond:
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
                with self._creating(time.monotonic() + seconds):  # opener may create it (get_or_create)
                    found = opener(client)
            except Timeout:
                raise self._unavailable(what, "another process kept creating the collection") from None
            if self._client is client:
                self._collections[name] = found
            return found

        def on_collection(client: Any) -> T:
            cached = self._collections.get(name) if self._client is client else None
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
                raise self._unavailable(what, f"NotFoundError: {_first_line(exc)}") from None

        return self.run(what, on_collection, seconds=seconds, write=write)

    def mark_stale(self) -> None:
        """The next call reopens the client (a caller saw results from an outdated view)."""
        with self._cond:
            self._seen = ("stale",)

    def forget(self, name: str) -> None:
        """Drop a cached collection handle (after it was deleted and recreated)."""
        self._collections.pop(name, None)

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
        with self._cond:
            while self._write_calls:
                self._cond.wait()
        self._bump("done")

    def close(self) -> None:
        """Release the client (tests, benches); the next call opens a new one."""
        with self._cond:
            client, self._client, self._collections = self._client, None, {}
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
