"""How `ask -` decodes stdin: UTF-8, or UTF-16 / UTF-32 when the input starts with that encoding's byte order mark.

A file saved as "Unicode" by Windows Notepad or PowerShell's `>` is UTF-16 with a mark. Read as UTF-8 its every
line was refused by input_size (NUL bytes), and nothing said the input was UTF-16. A mark is unambiguous, so such
input is decoded; UTF-16 without a mark is only guessed at (NUL bytes among ASCII), and then said, not decoded.
"""

from __future__ import annotations

import codecs
import io

# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

UNMARKED_WIDE = (
    "note: stdin looks like UTF-16 without a byte order mark; 'ask -' reads UTF-8, or UTF-16 / UTF-32 that starts "
    "with a byte order mark (save the file as UTF-8, or pipe it through `iconv -f UTF-16LE -t UTF-8`)\n"
)


def _head(buffer: object) -> bytes:
    """The first bytes waiting on `buffer`, left unread (b"" when it cannot be peeked at without reading)."""
    peek = getattr(buffer, "peek", None)
    if not callable(peek):
        return b""
    try:
        head = peek(4)
    except (OSError, ValueError):
        return b""
    return head[:4] if isinstance(head, bytes) else b""


def marked_encoding(head: bytes) -> str | None:
    """The encoding a byte order mark at the start of `head` names: "utf-16" or "utf-32", or None (UTF-8's own
    mark included: the UTF-8 reading already drops it)."""
    return next((encoding for mark, encoding in _MARKS if head.startswith(mark)), None)


def looks_unmarked_wide(head: bytes) -> bool:
    """`head` starts as ASCII text in UTF-16 without a mark would: a NUL byte beside each of two non-NUL ones."""
    if len(head) < 4:
        return False
    little = head[0] and not head[1] and head[2] and not head[3]
    big = not head[0] and head[1] and not head[2] and head[3]
    return bool(little or big)


def reconfigure_stdin(stdin: io.TextIOWrapper) -> str | None:
    """Set `stdin` up to read questions, before anything was read from it; the note to print, if any.

    Bytes that are not text decode as under the C.UTF-8 locale (their line is refused by input_size), not as under
    en_US.UTF-8, where one such byte ended the run with a UnicodeDecodeError before the first answer. Universal
    newlines: POSIX stdin translates none, so a file with CR-only line ends (classic Mac OS) was asked as one
    question. Input marked as UTF-16 or UTF-32 is decoded as such (its mark is read and dropped by the codec); a
    broken sequence in it becomes U+FFFD (surrogateescape cannot stand for a byte below 0x80)."""
    head = _head(stdin.buffer)
    encoding = marked_encoding(head)
    if encoding is not None:
        stdin.reconfigure(encoding=encoding, errors="replace", newline=None)
        return None
    stdin.reconfigure(errors="surrogateescape", newline=None)
    return UNMARKED_WIDE if looks_unmarked_wide(head) else None
