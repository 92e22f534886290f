"""View layer: pure checks for uploaded files before anything touches disk, and a safe place to save them.

The uploaded name is never trusted for paths: it is reduced to a plain file name of word characters,
dots and dashes, saved under <home>/uploads/, and the result is checked to stay inside that folder.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from app import SUPPORTED_SUFFIXES, looks_binary

ALLOWED = tuple(sorted(SUPPORTED_SUFFIXES))  # what ingest reads: an upload page that refuses less would surprise
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
_MAX_NAME = 100
_MAX_NAME_BYTES = 200  # file systems count bytes (255 on Linux): 100 Chinese characters are 300 of them
_SNIFF = 8192
_NAMES_DIR = ".upload-names"  # <home>/.upload-names/<saved name>: the name it was uploaded as


@dataclass(frozen=True)
class UploadProblem:
    name: str
    kind: str  # i18n key suffix: type, empty, too_large, binary, not_pdf
    detail: str = ""


def suffix_of(name: str) -> str:
    return Path(name.replace("\\", "/")).suffix.lower()


def check_upload(name: str, data: bytes, *, max_bytes: int) -> UploadProblem | None:
    """Why this upload cannot be indexed (type, empty, size, binary content), or None when it looks fine."""
    suffix = suffix_of(name)
    if suffix not in ALLOWED:
        return UploadProblem(name, "type", suffix or "(none)")
    if not data or not data.strip():
        return UploadProblem(name, "empty")
    if len(data) > max_bytes:
        return UploadProblem(name, "too_large", f"{len(data) / 1_048_576:.1f}")
    head = data[:_SNIFF]
    if suffix == ".pdf":
        return None if head.startswith(b"%PDF-") else UploadProblem(name, "not_pdf")
    if looks_binary(data):  # ingest's own sniff (UTF-16/32, with or without a byte-order mark, is text to it)
        return UploadProblem(name, "binary")
    return None


def safe_filename(name: str) -> str:
    """A plain, bounded file name from an untrusted one (no folders, no leading dots, allowed suffix kept)."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    suffix = suffix_of(base)
    stem = base[: -len(suffix)] if suffix else base
    stem = _UNSAFE.sub("_", stem).strip("._-") or "upload"
    if suffix not in ALLOWED:
        suffix = ".txt"
    return _bounded(stem, suffix)


def _bounded(stem: str, tail: str) -> str:
    """`stem` + `tail`, the stem cut to at most _MAX_NAME characters and _MAX_NAME_BYTES bytes of UTF-8 in all."""
    stem = stem[: _MAX_NAME - len(tail)]
    while stem and len((stem + tail).encode("utf-8")) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + tail


def unique_name(wanted: str, taken: Collection[str]) -> str:
    """`wanted`, or `wanted` with -2, -3, ... before its suffix when another file of this batch already has that
    name (compared case-insensitively: on macOS and Windows `A.md` and `a.md` are the same file)."""
    used = {n.casefold() for n in taken}
    if wanted.casefold() not in used:
        return wanted
    suffix = suffix_of(wanted)
    stem = wanted[: -len(suffix)] if suffix else wanted
    n = 2
    while True:
        tail = f"-{n}{suffix}"
        name = _bounded(stem, tail)
        if name.casefold() not in used:
            return name
        n += 1


def upload_filename(home: Path, name: str, batch: Collection[str]) -> str:
    """Where the upload `name` goes in <home>/uploads/: its safe name, unless another file of this batch has it
    or an earlier upload of a DIFFERENT original name was saved under it (then -2, -3, ...). The same original
    name again replaces its earlier upload: that is uploading a new version."""
    taken = set(batch)
    while True:
        final = unique_name(safe_filename(name), taken)
        if not upload_path(home, final).exists() or _same_name(original_name(home, final), name):
            return final
        taken.add(final)


def _same_name(a: str, b: str) -> bool:
    """The same original name, whichever Unicode form a browser sent it in (macOS file names are decomposed)."""
    return unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


def original_name(home: Path, filename: str) -> str:
    """The name the saved upload `filename` was uploaded as: recorded by save_upload, or the file's own name for
    an upload saved before names were recorded (or put there by hand)."""
    record = _record_path(home, filename)
    try:
        return record.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return safe_filename(filename)


def _record_path(home: Path, filename: str) -> Path:
    # A hidden folder beside uploads/, not in it: ingest and the uploads folder's own bookkeeping never see it.
    return (home / _NAMES_DIR).resolve() / safe_filename(filename)


def save_upload(home: Path, name: str, data: bytes, *, filename: str | None = None) -> Path:
    """Write `data` to <home>/uploads/<filename or the safe name of `name`> (an existing file of that name is
    replaced: the caller picks `filename` with upload_filename and checks `upload_path(...).exists()` to say so),
    and record `name` as the file's original name."""
    folder = (home / "uploads").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_filename(filename or name)  # not resolved: a link of that name is replaced, not followed
    if target.parent != folder:  # defence in depth: safe_filename already removed separators
        raise ValueError(f"refusing to write outside {folder}")
    record = _record_path(home, target.name)
    record.parent.mkdir(parents=True, exist_ok=True)
    _replace(record, name.encode("utf-8"))
    _replace(target, data)
    return target


def _replace(path: Path, data: bytes) -> None:
    """Write `data` as the file `path`, replacing whatever has that name (a file, or a link, which is never
    followed: writing through it would change a file outside the folder), all at once: a hidden temporary file
    beside it, renamed over it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".saving-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:  # a full disk, an interrupted save: no temporary file is left behind
        Path(tmp).unlink(missing_ok=True)
        raise


def upload_path(home: Path, filename: str) -> Path:
    return (home / "uploads").resolve() / safe_filename(filename)
