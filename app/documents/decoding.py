"""Bytes -> text for the text formats (markdown, plain text): which encoding a file is in (UTF-8, UTF-16/32 with
or without a byte-order mark, GB18030 only when it reads as Chinese), and whether it is binary after all. Pure
functions on bytes and str: no file access, no LoadProblem (the loader turns their answers into one). How
UTF-16/32 is recognised is utf16_sniff's job, telling Chinese from Japanese and Korean cjk_legacy's, and what
to tell a user whose file is in an encoding that is not read encoding_hint's."""

from __future__ import annotations

import re
import unicodedata

from app.documents.cjk_legacy import japanese_or_korean, looks_chinese, shift_jis_japanese, short_euc
from app.documents.utf16_sniff import (
    MAX_CONTROL_RATIO,
    SNIFF_BYTES,
    WIDE_BOM_MARKS,
    WIDE_BOMS,
    bomless_utf16,
    bomless_utf16_cjk,
    control_share,
)

_HIGH_RUNS = re.compile(rb"[\x80-\xff]+")


def decode(data: bytes) -> tuple[str, str] | None:
    for bom, codec in WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                return None
    bomless = bomless_utf16(data)
    if bomless is not None:
        try:
            return data.decode(bomless), "utf-16"
        except UnicodeDecodeError:
            return None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            return None
    wide = bomless_utf16_cjk(data)
    if wide is not None:
        return data.decode(wide), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    if _mostly_single_high_bytes(data):  # Western single-byte text that GB18030 happens to decode
        return None
    if not looks_chinese(text) or shift_jis_japanese(data, text) or short_euc(data, text):
        return None
    return None if japanese_or_korean(data, text) else (text, "gb18030")


def _mostly_single_high_bytes(data: bytes) -> bool:
    """At least half of the bytes of 0x80 and up stand alone between ASCII bytes. GB18030 decodes Latin-1 German
    ("für", "Mädchen") without error into hanzi, each accented letter and the ASCII letter after it read as one
    character; Chinese comes in runs of high bytes (both bytes of a GB2312 character are 0x80 and up)."""
    runs = [len(run) for run in _HIGH_RUNS.findall(data)]  # a regex: a file of 10 MB is judged in milliseconds
    return bool(runs) and 2 * runs.count(1) >= sum(runs)


def looks_binary(data: bytes) -> bool:
    """Sniffed on the bytes; a file with a UTF-16/32 byte-order mark, or UTF-16 without one, is sniffed once
    decoded (`binary_text`)."""
    head = data[:SNIFF_BYTES]
    if data.startswith(WIDE_BOM_MARKS) or bomless_utf16(data) or bomless_utf16_cjk(data):
        return False
    if b"\0" in head:
        return True
    return control_share(head) > MAX_CONTROL_RATIO


def binary_text(text: str) -> bool:
    """Decoded text that is binary after all: almost any file starting with FF FE "decodes" as UTF-16, so a binary
    one would otherwise be indexed as a run of CJK-looking characters (which BM25 then matches as Chinese). Real
    text has no NUL and almost no controls, unassigned or private-use code points."""
    head = text[: SNIFF_BYTES // 2]
    odd = sum(1 for ch in head if ch not in "\t\n\f\r" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    return "\0" in head or (bool(head) and odd / len(head) > MAX_CONTROL_RATIO)
