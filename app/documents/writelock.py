"""One writer per local index, enforced: a cross-process file lock (filelock) plus an in-process lock, held
around every write (ingest, upload, delete, rebuild) whatever the entry point. App layer, under documents/.

Chroma's local store is not safe with two processes writing one directory (measured: two concurrent ingests
corrupt it silently), so a second writer waits with a visible message naming the holder and gives up after
a timeout with a clear error; it never writes concurrently. Readers never take this lock.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = ".guarded-rag-write.lock"
OWNER_NAME = ".guarded-rag-write.owner.json"
OnWait = Callable[[str], None]
_log = logging.getLogger(__name__)


class IndexBusyError(RuntimeError):
    """Another writer held the index for longer than this one was allowed to wait."""


def _without_folders(command: str) -> str:
    """The holder's command line with each path argument cut to its last part ("…/private-docs"): the message is shown
    to other users (the UI's waiting and rebuilding notices), and a path cut at 80 characters could not be hidden."""
    return " ".join(
        "…/" + re.split(r"[\\/]+", word.rstrip("/\\"))[-1] if "/" in word or "\\" in word else word for word in command.split()
    )


def describe_holder(owner: dict[str, object] | None) -> str:
    if not owner:
        return "another process"
    what = owner.get("what") or "write"
    since = str(owner.get("since", ""))[11:19]
    command = _without_folders(str(owner.get("command") or ""))[:80]
    return f"another {what} (pid {owner.get('pid', '?')}{', `' + command + '`' if command else ''}{', since ' + since if since else ''})"


class WriteLock:
    """Reentrant for the thread that holds it (ingest holds it while its upserts take it again).

    Built from a plain Lock and a FileLock with thread_local=False, so `release_later` can hand the release
    to another thread: a write that outlived its deadline keeps the index locked until it really ends."""

    def __init__(self, folder: Path, *, timeout: float) -> None:
        self._folder = Path(folder)
        self._timeout = timeout
        self._file = FileLock(str(self._folder / LOCK_NAME), thread_local=False)
        self._thread_lock = threading.Lock()
        self._state = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._what = ""

    @property
    def owner_path(self) -> Path:
        return self._folder / OWNER_NAME

    def holder(self) -> dict[str, object] | None:
        """Who holds (or last held) the lock, as its owner file says; None when unknown."""
        try:
            found = json.loads(self.owner_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def writer(self) -> dict[str, object] | None:
        """Who is writing the index right now (its owner file), or None when nobody holds the lock. Probes the
        lock without waiting, through a lock object of its own, so it never blocks or takes the lock from a writer."""
        if self.held_here():
            return self.holder() or {}
        probe = FileLock(str(self._folder / LOCK_NAME), thread_local=False)
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return self.holder() or {}
        probe.release()
        return None

    def held_here(self) -> bool:
        """Some thread of this process holds (or is handing off) the lock."""
        return self._thread_lock.locked()

    @contextmanager
    def hold(self, what: str, *, on_wait: OnWait | None = None) -> Iterator[bool]:
        """Hold the lock; yields True for the outermost hold of this thread (the one that really locked)."""
        outer = self.acquire(what, on_wait=on_wait)
        try:
            yield outer
        finally:
            self.release(outer)

    def acquire(self, what: str, *, on_wait: OnWait | None = None, timeout: float | None = None) -> bool:
        """Take the lock (waiting at most the timeout, saying so through `on_wait`); True when outermost."""
        me = threading.get_ident()
        with self._state:
            if self._owner == me:
                self._depth += 1
                return False
        limit = self._timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        notify = on_wait or (lambda _message: None)
        if not self._thread_lock.acquire(blocking=False):
            notify(f"another {self._what or 'write'} in this process is running, waiting up to {limit:g} s…")
            if not self._thread_lock.acquire(timeout=limit):
                raise IndexBusyError(
                    f"the index at {self._folder} stayed locked by another {self._what or 'write'} in this process "
                    f"for {limit:g} s; try again when it has finished"
                )
        try:
            self._lock_file(what, notify, deadline, limit, told=on_wait is not None)
        except BaseException:
            self._thread_lock.release()
            raise
        with self._state:
            self._owner, self._depth, self._what = me, 1, what
        return True

    def _lock_file(self, what: str, notify: OnWait, deadline: float, limit: float, *, told: bool) -> None:
        try:
            self._file.acquire(timeout=0)
        except Timeout:
            holder = describe_holder(self.holder())
            notify(f"{holder} is writing the index, waiting up to {limit:g} s…")
            try:
                self._file.acquire(timeout=max(0.0, deadline - time.monotonic()), poll_interval=0.1)
            except Timeout:
                raise IndexBusyError(
                    f"{describe_holder(self.holder())} kept the index at {self._folder} locked for {limit:g} s; "
                    "this write was not done. Wait for it to finish (or stop it) and run it again; "
                    "to write from several processes at once, use a Chroma server."
                ) from None
        self._report_dead_holder(what, notify if told else None)
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:200],
            "what": what,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with suppress(OSError):  # the owner file is a courtesy for the waiting message, not part of the lock
            self.owner_path.write_text(json.dumps(owner), encoding="utf-8")

    def _report_dead_holder(self, what: str, notify: OnWait | None) -> None:
        """Called with the file lock just taken. The owner file is written after the lock is taken and removed
        before it is released, so one still there was left by a holder that ended without releasing (killed, or
        its machine lost power): the OS freed its lock, and this writer says it takes over from it."""
        previous = self.holder()
        if previous is None:
            return
        message = (
            f"{describe_holder(previous)} ended without finishing (killed or crashed); its lock is taken over by "
            f"this {what}. Documents it left half-written are indexed again by the next `guarded-rag ingest`."
        )
        if notify is not None:  # the caller shows it (the CLI on stderr, the UI on the page): said once
            notify(message)
        else:
            _log.warning("%s", message)

    def release(self, outer: bool) -> None:
        """Undo one `acquire` (the outermost one really unlocks)."""
        with self._state:
            if not outer:
                self._depth -= 1
                return
            self._owner, self._depth = None, 0
        self._release()

    def _release(self) -> None:
        with suppress(OSError):
            self.owner_path.unlink()
        self._file.release()
        self._thread_lock.release()

    def release_later(self, wait: Callable[[], None]) -> None:
        """Called by the outermost holder instead of a normal exit: `wait()` runs on a daemon thread and the
        lock is released when it returns (a write that timed out is still running; nobody may write yet)."""
        with self._state:
            self._owner, self._depth = None, 0

        def finish() -> None:
            try:
                wait()
            finally:
                self._release()

        threading.Thread(target=finish, name="index-write-release", daemon=True).start()
