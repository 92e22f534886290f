"""View layer: pure checks for uploaded files before anything touches disk, and a safe place to save them.

The uploaded name is never trusted for paths: it is reduced to a plain file name of word characters,
dots and dashes, saved under <home>/uploads/, and the result is checked to stay inside that folder.
"""

from __future__ import annotations

import re
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


def save_upload(home: Path, name: str, data: bytes, *, filename: str | None = None) -> Path:
    """Write `data` to <home>/uploads/<filename or the safe name of `name`> (an existing file of that name is
    replaced: the caller checks `upload_path(...).exists()` first to say so)."""
    folder = (home / "uploads").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / safe_filename(filename or name)).resolve()
    if target.parent != folder:  # defence in depth: safe_filename already removed separators
        raise ValueError(f"refusing to write outside {folder}")
    target.write_bytes(data)
    return target


def upload_path(home: Path, filename: str) -> Path:
    return (home / "uploads").resolve() / safe_filename(filename)
