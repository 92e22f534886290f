"""A TOML file a user named (a settings file, a guardrail policy, a `serve --profile`) read without harm.

Found by a hunt: each reader read the file whole, so /dev/zero or a 4 GB file named by mistake grew the process
until the OOM killer ended it, a FIFO with no writer hung it, ~3,000 nested `[` ended it with a RecursionError
traceback, and a UTF-8 byte order mark (Windows Notepad's) was "Invalid statement (at line 1, column 1)". Here a
name that is no regular file is refused before it is opened (and checked again on the file opened, without
blocking), at most TOML_MAX_BYTES are read, a BOM is dropped, and nesting too deep is an error. Every problem is a
TomlFileError whose `kind` says which; callers raise it again as their own error type, naming the file.
Stdlib only (the guardrails layer reads policy files with it; app/ reads settings files with it).
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any, Literal

TOML_MAX_BYTES = 1_000_000  # no settings file or policy comes near it: a larger file is not one of them

TomlProblem = Literal["missing", "not_a_file", "unreadable", "too_large", "not_text", "invalid"]

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class TomlFileError(ValueError):
    """A TOML file that cannot be used; the message says why (without the file's name: the caller adds it)."""

    def __init__(self, reason: str, kind: TomlProblem) -> None:
        super().__init__(reason)
        self.kind: TomlProblem = kind


def read_toml_file(path: Path, *, max_bytes: int = TOML_MAX_BYTES) -> dict[str, Any]:
    """The table a TOML file holds, or TomlFileError."""
    return parse_toml(toml_text(path, max_bytes=max_bytes))


def toml_text(path: Path, *, max_bytes: int = TOML_MAX_BYTES) -> str:
    """The text of the regular file at `path` (a BOM dropped), at most `max_bytes` of it, or TomlFileError."""
    fd = _opened(path)
    with os.fdopen(fd, "rb") as file:
        try:
            info = os.fstat(file.fileno())
            _refuse_unless_regular(info.st_mode)  # the very file opened (swapped for a pipe after the check above)
            if info.st_size > max_bytes:  # a 4 GB sparse file: refused by its size, nothing read
                raise _too_large(info.st_size, max_bytes)
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise TomlFileError(_os_reason(exc), "unreadable") from None
    if len(data) > max_bytes:  # it grew while being read, or says less than it holds: what is past the bound is unread
        raise _too_large(len(data), max_bytes, more=True)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start + len(data) - len(exc.object)  # the decoder counts from past a BOM
        raise TomlFileError(f"not UTF-8 text (byte 0x{data[at]:02x} at offset {at})", "not_text") from None


def _opened(path: Path) -> int:
    """A descriptor of the regular file at `path`: what is no regular file is refused before it is opened (a device
    is not even opened), and it is opened without blocking (the name may have become a FIFO since)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise TomlFileError("no such file", "missing") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise TomlFileError(_os_reason(exc), "unreadable") from None
    _refuse_unless_regular(mode)
    try:
        return os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise TomlFileError("no such file", "missing") from None
    except OSError as exc:
        raise TomlFileError(_os_reason(exc), "unreadable") from None


def parse_toml(text: str) -> dict[str, Any]:
    """The table TOML text holds, or TomlFileError: the parser's message, or nesting too deep for it."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlFileError(str(exc), "invalid") from None
    except RecursionError:  # tomllib parses arrays and inline tables by recursion
        raise TomlFileError("arrays or inline tables are nested too deeply to be read", "invalid") from None


def _refuse_unless_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise TomlFileError(f"it is {_what(mode)}, not a regular file", "not_a_file")


def _what(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _too_large(size: int, max_bytes: int, *, more: bool = False) -> TomlFileError:
    held = f"more than {max_bytes:,} bytes" if more else f"{size:,} bytes ({_human(size)})"
    return TomlFileError(f"it holds {held}; a TOML file here is at most {max_bytes:,} bytes", "too_large")


def _human(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _os_reason(exc: OSError | ValueError) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror  # "Permission denied": the caller's message names the file
    return str(exc)
