"""DocumentIndex's readers and the index's write lock (app.documents.writelock): whether the lexical file may be
written now, an integrity check that does not judge a half-written index, holding the corpus still for a reader
that needs one corpus from start to end, who is rebuilding, and whether the last rebuild was left unfinished
(rebuild_marker.py). A Chroma server has no lock (`lock` None):
there each of these is what a server allows. Part of app/documents, beside index.py (writers hold the lock
through ChromaStore.writing).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from app.documents.index_collection import IndexCollection
from app.documents.integrity import REPAIR, IndexIntegrity, check_integrity, scan_client
from app.documents.rebuild_marker import read_unfinished_rebuild
from app.documents.store import IndexUnavailableError
from app.documents.writelock import IndexBusyError, OnWait, WriteLock, describe_holder


@contextlib.contextmanager
def may_persist(lock: WriteLock | None) -> Iterator[bool]:
    """Yields whether the lexical file may be written now: always inside a write section of this thread
    (reentrant), else only if no writer holds the index (a reader never waits; it keeps its copy in memory).
    On a Chroma server there is no lock: the file is this machine's cache of the server's chunks, written
    whole and renamed (lexical_file.write), so processes sharing a home never read half of one."""
    if lock is None:
        yield True
        return
    try:
        outer = lock.acquire("lexical index", timeout=0)
    except IndexBusyError:
        yield False
        return
    try:
        yield True
    finally:
        lock.release(outer)


def integrity(chroma: IndexCollection, path: Path, *, sample: int, timeout: float, wait_s: float) -> IndexIntegrity:
    """The index's integrity (app.documents.integrity), checked in a child process while no writer runs;
    when a writer holds the index for more than `wait_s`, says so instead of judging a half-written index. A
    rebuild left unfinished makes the verdict INCOMPLETE (read under the lock: no rebuild runs then, and the
    marker changes only inside write sections, which bump the generation a cached verdict is keyed on).
    On a Chroma server: the same check through its client, within `timeout`."""
    lock = chroma.store.lock
    if lock is None:
        return chroma.store.run(
            "checking the index integrity", lambda c: scan_client(c, chroma.name, sample=sample), seconds=timeout
        )
    try:
        outer = lock.acquire("integrity check", timeout=wait_s)
    except IndexBusyError:
        holder = describe_holder(lock.holder())
        return IndexIntegrity(ok=True, checked=False, problems=(f"not checked now: {holder} is writing the index",))
    try:
        found = check_integrity(path, chroma.name, sample=sample, timeout=timeout)
        left = read_unfinished_rebuild(path)
        return found if left is None else found.model_copy(update={"ok": False, "unfinished": left.describe(), "fix": REPAIR})
    finally:
        lock.release(outer)


@contextlib.contextmanager
def held_still(lock: WriteLock | None, what: str, *, on_wait: OnWait | None, timeout: float, where: Path | str) -> Iterator[None]:
    """No process writes the index while this is held: for a reader that needs one corpus from start to end
    (calibrate lists every chunk, then searches for each probe). Takes the write lock, so a running ingest or
    rebuild is waited for as a second writer waits for it (said through `on_wait`; IndexBusyError after
    `timeout`), but writes nothing and bumps no generation: other readers keep their caches. On a Chroma
    server (no lock): nothing to hold. `where`: the index, for the message."""
    if lock is None:
        yield
        return
    try:
        outer = lock.acquire(what, on_wait=on_wait, timeout=timeout)
    except IndexBusyError:  # the writer's wording ("this write was not done") would not fit a reader
        raise IndexBusyError(
            f"{describe_holder(lock.holder())} kept the index at {where} busy for {timeout:g} s "
            f"(GUARDED_RAG_WRITE_LOCK_TIMEOUT); {what} needs the finished corpus: run it again when that is done"
        ) from None
    try:
        yield
    finally:
        lock.release(outer)


def rebuilding(lock: WriteLock | None) -> str | None:
    """Who is rebuilding the index right now (an empty index then means "not yet", not "never ingested"), or
    None. Always None on a Chroma server, which has no write lock."""
    owner = lock.writer() if lock is not None else None
    return describe_holder(owner) if owner is not None and owner.get("what") == "rebuild" else None


def unfinished_rebuild(lock: WriteLock | None, path: Path) -> str | None:
    """What to say when the last rebuild of the local index at `path` did not finish (killed, interrupted) and none
    is running now, else None: the index then holds only part of the corpus, and "not in your documents" is not
    known. Cheap (a file read and a lock probe): asked after a refusal. None on a Chroma server (no marker)."""
    if lock is None:
        return None
    left = read_unfinished_rebuild(path)
    if left is None or rebuilding(lock) is not None:  # a rebuild running now: `rebuilding` says that
        return None
    return left.describe()


def left_to_reset(_exc: IndexUnavailableError) -> None:
    """A rebuild's write section opens on an index Chroma cannot read: its reset() moves the files aside."""
