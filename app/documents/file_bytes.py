"""Read one file's bytes for ingestion, within the limits: a supported extension, the size limit (checked before
reading anything, and again on what is read), a read that hangs, and a link or a swapped file that would lead
out of the folder the walk found it in.

App layer, I/O edge of the ingest path (loaders.py parses what is read here). A bad file never raises: it comes
back as a `LoadProblem` whose message tells the user what to do about it, and the batch goes on.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

from app.deadline import DeadlineExceeded, Deadlines
from app.documents.load_types import MIB, SUPPORTED_SUFFIXES, LoadProblem

_log = logging.getLogger(__name__)
GONE_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})
"""Errors that say a path holds no file (missing, under a file, a link in a circle); any other error (permission
denied, an I/O error) says only that it cannot be told now."""


def read_bytes(
    path: Path,
    *,
    max_bytes: int,
    source: str | None = None,
    deadline_s: float | None = None,
    within: Path | None = None,
) -> bytes | LoadProblem:
    """The file's bytes, after checking extension and size (with stat, before reading anything). With
    `deadline_s`, a read that hangs (a stalled network mount) becomes a LoadProblem after that many seconds. With
    `within` (the folder a walk found the file in), a link is followed only to a file inside that folder, judged
    when the file is opened: a file swapped for a link to another user's notes after the walk is not read."""
    source = source if source is not None else path.as_posix()

    def read() -> bytes | LoadProblem:
        return _read_bytes(path, max_bytes=max_bytes, source=source, within=within)

    if deadline_s is None:
        return read()
    try:
        return Deadlines("file read", max_in_flight=1).call(read, seconds=deadline_s, what=f"reading {source}")
    except DeadlineExceeded:
        return LoadProblem(
            source=source,
            kind="unreadable",
            message=f"reading the file did not finish within {deadline_s:g} s (a stalled disk or network mount?); "
            "check the file and try again.",
            transient=True,
        )


def _read_bytes(path: Path, *, max_bytes: int, source: str, within: Path | None) -> bytes | LoadProblem:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        wanted = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return LoadProblem(
            source=source,
            kind="unsupported",
            message=f"unsupported file type {suffix or '(no extension)'!r}; supported: {wanted}. "
            "Convert it to one of these or leave it out.",
        )
    try:
        info = path.stat()
        if not path.is_file():
            return LoadProblem(source=source, kind="unreadable", message="not a regular file; pass a file or a folder.")
        if info.st_size > max_bytes:
            return _file_too_large(source, info.st_size, max_bytes)
        return _read_regular(path, max_bytes=max_bytes, source=source, within=within)
    except _LinkedOut as exc:
        return exc.problem(source)
    except _Replaced:
        return LoadProblem(
            source=source,
            kind="unreadable",
            message="the file was replaced while it was being read (saved again?); ingest it again.",
            transient=True,
        )
    except OSError as exc:
        return _os_problem(source, exc)


def _os_problem(source: str, exc: OSError) -> LoadProblem:
    """Why the file could not be read, from the system's error: a file deleted, moved or renamed since its folder was
    listed is said to be gone (was "cannot read the file (No such file or directory); check ... its permissions",
    which sent a user to permissions for a file renamed meanwhile, its new name left for the next ingest)."""
    reason = exc.strerror or str(exc) or "an operating-system error"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # vanished since the folder was listed: gone, not unreadable
        return LoadProblem(
            source=source,
            kind="unreadable",
            message=f"the file is gone ({reason}): deleted, moved or renamed since it was listed; run ingest again "
            "to index it where it is now.",
        )
    return LoadProblem(
        source=source,
        kind="unreadable",
        message=f"cannot read the file ({reason}); check that it exists and its permissions.",
        transient=exc.errno not in GONE_ERRNOS,  # a link in a circle holds no file either
    )


def _file_too_large(source: str, size: int, max_bytes: int, *, grew: bool = False) -> LoadProblem:
    limit = f"{max_bytes / MIB:.1f} MB"
    what = (
        f"file holds more than its size said (it grew while being read?), over the {limit} limit"
        if grew
        else (f"file is {size / MIB:.1f} MB, over the {limit} limit")
    )
    return LoadProblem(source=source, kind="too_large", message=f"{what}; split it or raise GUARDED_RAG_MAX_FILE_MB.")


class _LinkedOut(Exception):
    """The file became a link to a file outside the folder it was found in (after the walk checked it)."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target

    def problem(self, source: str) -> LoadProblem:
        _log.warning("not reading %s: it became a link to %s, outside its folder", source, self.target)
        return LoadProblem(
            source=source,
            kind="unsupported",
            message=f"a link to the file {self.target}, outside the folder (it became one while the folder was read); "
            "links that lead out of the folder are not followed: copy the file into the folder, or ingest that file itself.",
        )


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _shown(path: str) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")  # as walk.display shows a name


def _open(path: Path, within: Path | None) -> int:
    """A descriptor of the file at `path`. With `within`, the name is opened without following a link (O_NOFOLLOW),
    a link is followed by hand only when its file lies inside `within` (that file opened without following a link
    either), and the file opened must be one inside `within` (`_held_inside`: a folder on the way may have been
    swapped for a link too)."""
    if within is None:
        return os.open(path, _OPEN_FLAGS)
    try:
        fd = os.open(path, _OPEN_FLAGS | _NOFOLLOW)
    except OSError as exc:
        if exc.errno != errno.ELOOP or not os.path.islink(path):
            raise
        target = os.path.realpath(path)
        if not Path(target).is_relative_to(os.path.realpath(within)):
            raise _LinkedOut(_shown(target)) from None
        fd = os.open(target, _OPEN_FLAGS | _NOFOLLOW)
    try:
        _held_inside(fd, path, within)
    except BaseException:
        os.close(fd)
        raise
    return fd


class _Replaced(Exception):
    """The file opened is no longer the one its name leads to: it was replaced while being opened."""


def _held_inside(fd: int, path: Path, within: Path) -> None:
    """Raise _LinkedOut unless the file `path` leads to now lies inside `within`, and _Replaced unless it is the open
    file `fd`. The file was opened first, so whatever is swapped afterwards, the bytes read are those of a file
    that was inside."""
    real = os.path.realpath(path)
    if not Path(real).is_relative_to(os.path.realpath(within)):
        raise _LinkedOut(_shown(real))
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(real))
    except OSError:
        same = False
    if not same:  # an editor saving it anew, or a folder swapped out and back: read again next time
        raise _Replaced


def _read_regular(path: Path, *, max_bytes: int, source: str, within: Path | None = None) -> bytes | LoadProblem:
    """At most `max_bytes` of the file at `path`, from the very file opened: the name may have become a pipe since
    it was checked (opened without blocking, then checked again on the open file), or a link out of `within`
    (`_open`), and a file may hold more than its size says (one that grows while being read, a /proc file that
    reports 0 bytes): what is past the limit is never read."""
    fd = _open(path, within)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return LoadProblem(source=source, kind="unreadable", message="not a regular file; pass a file or a folder.")
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        return _file_too_large(source, len(data), max_bytes, grew=True)
    return data
