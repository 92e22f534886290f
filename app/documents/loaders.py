"""Read one file from disk into text for ingestion: its bytes (the supported extensions, the size limit, a read
that hangs), then the parser its extension picks (PDF: pdf.py; markdown and plain text: decoding.py), held to
the text limit (`text_limit`).

App layer, I/O edge of the ingest path. A bad file never raises: it comes back as a `LoadProblem`
whose message tells the user what to do about it, and the batch goes on.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.deadline import DeadlineExceeded, Deadlines
from app.documents.decoding import binary_text, decode, looks_binary
from app.documents.encoding_hint import encoding_hint
from app.documents.pdf import MAX_PDF_PAGES, MAX_PDF_SECONDS, PdfTextTooLarge, PdfTooLong, PdfUnreadable, pdf_text

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf"}
ProblemKind = Literal["empty", "binary", "too_large", "unreadable", "unsupported", "encoding"]
_MIB = 1024 * 1024  # GUARDED_RAG_MAX_FILE_MB is applied as MiB by the service
MAX_TEXT_MB = 10
"""Most text, in MiB of characters, taken from one file whatever its size on disk (`text_limit`): a PDF compresses
its text, so a 300 KB PDF of 2,000 pages (one content stream they all share) yields 100 million characters, which
GUARDED_RAG_MAX_FILE_MB (checked on the bytes on disk) let through to fill memory and the index. A file whose
text outgrows the limit is refused; extraction stops there instead of finishing first."""
_log = logging.getLogger(__name__)
GONE_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})
"""Errors that say a path holds no file (missing, under a file, a link in a circle); any other error (permission
denied, an I/O error) says only that it cannot be told now."""


class LoadedDocument(BaseModel):
    """A file's text plus what the index needs to know whether it changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    text: str = Field(description="Decoded text, newlines normalised to \\n.")
    file_sha: str = Field(description="sha256 of the file's bytes (hex): unchanged bytes are skipped on re-ingest.")
    size_bytes: int
    encoding: str = Field(description='"utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030" or "pdf".')
    pages: int | None = None


class LoadProblem(BaseModel):
    """Why a file was skipped, in words a user can act on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    kind: ProblemKind
    message: str
    transient: bool = Field(
        default=False,
        description="The file could not be read this time (permission denied, an I/O error, a read that hung): what "
        "it says now is unknown, so a version indexed earlier is kept rather than removed.",
    )


def text_limit(max_bytes: int) -> int:
    """The most characters one file may yield: MAX_TEXT_MB, or the file size limit when that is larger (text
    files never yield more characters than bytes, so raising GUARDED_RAG_MAX_FILE_MB raises this too)."""
    return max(MAX_TEXT_MB * _MIB, max_bytes)


def _text_too_large(source: str, limit: int) -> LoadProblem:
    mb = f"{limit / _MIB:.1f}"
    return LoadProblem(
        source=source,
        kind="too_large",
        message=f"extracted text larger than {mb} MB (a PDF compresses text: a small file can hold far more); "
        f"split it, or raise GUARDED_RAG_MAX_FILE_MB above {mb}.",
    )


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
    limit = f"{max_bytes / _MIB:.1f} MB"
    what = (
        f"file holds more than its size said (it grew while being read?), over the {limit} limit"
        if grew
        else (f"file is {size / _MIB:.1f} MB, over the {limit} limit")
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


def _binary(source: str) -> LoadProblem:
    return LoadProblem(source=source, kind="binary", message="the file looks binary, not text; check it is the right file.")


def _nul(source: str, at: int) -> LoadProblem:
    return LoadProblem(
        source=source,
        kind="binary",
        message=f"the file holds NUL characters, the first at character {at:,} (binary data, or text padded with NULs): "
        "remove them, or check it is the right file.",
    )


def parse_document(
    data: bytes,
    *,
    suffix: str,
    source: str,
    max_chars: int = MAX_TEXT_MB * _MIB,
    max_pages: int = MAX_PDF_PAGES,
    max_seconds: float = MAX_PDF_SECONDS,
) -> LoadedDocument | LoadProblem:
    """Decode bytes already read (suffix picks the parser) into a LoadedDocument or a LoadProblem; text longer
    than `max_chars` is a problem (`text_limit` gives the limit that goes with a file size limit), and so is a PDF
    of more than `max_pages` pages or whose text takes more than `max_seconds` to extract."""
    sha = hashlib.sha256(data).hexdigest()
    if not data:
        return LoadProblem(source=source, kind="empty", message="the file is empty; add content or leave it out.")
    pages: int | None = None
    if suffix.lower() == ".pdf":
        try:
            text, pages = pdf_text(data, max_chars, max_pages=max_pages, max_seconds=max_seconds)
        except PdfTextTooLarge:
            return _text_too_large(source, max_chars)
        except PdfTooLong as exc:
            return LoadProblem(source=source, kind="too_large", message=str(exc), transient=exc.transient)
        except PdfUnreadable as exc:
            return LoadProblem(source=source, kind="unreadable", message=str(exc))
        encoding = "pdf"
        if not text.strip():
            return LoadProblem(
                source=source,
                kind="empty",
                message="the PDF has no extractable text (probably scanned images); run OCR on it first.",
            )
    else:
        if looks_binary(data):
            return _binary(source)
        decoded = decode(data)
        if decoded is None:
            return LoadProblem(source=source, kind="encoding", message=f"unreadable encoding: {encoding_hint(data)}")
        text, encoding = decoded
        if encoding in ("utf-16", "utf-32") and binary_text(text):
            return _binary(source)
        if "\0" in text:  # past the sniffed opening: NUL padding (a log preallocated), or binary appended
            return _nul(source, text.index("\0"))
    if len(text) > max_chars:  # a text file is held to it too, though its size limit keeps it far below
        return _text_too_large(source, max_chars)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return LoadProblem(source=source, kind="empty", message="the file has only whitespace; add content or leave it out.")
    return LoadedDocument(source=source, text=text, file_sha=sha, size_bytes=len(data), encoding=encoding, pages=pages)


def load_document(path: Path, *, max_bytes: int, source: str | None = None) -> LoadedDocument | LoadProblem:
    """Read and decode one file. Never raises for a bad file; see LoadProblem.kind for what went wrong."""
    source = source if source is not None else path.as_posix()
    data = read_bytes(path, max_bytes=max_bytes, source=source)
    if isinstance(data, LoadProblem):
        return data
    return parse_document(data, suffix=path.suffix, source=source, max_chars=text_limit(max_bytes))
