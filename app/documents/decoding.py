"""Bytes -> text for the text formats (markdown, plain text): which encoding a file is in (UTF-8, UTF-16/32 with
or without a byte-order mark, GB18030 only when it reads as Chinese), whether it is binary after all, and what
to tell a user whose file is in an encoding that is not read. Pure functions on bytes and str: no file access,
no LoadProblem (the loader turns their answers into one)."""

from __future__ import annotations

import re
import unicodedata

_SNIFF_BYTES = 8192
_HIGH_RUNS = re.compile(rb"[\x80-\xff]+")
_MAX_CONTROL_RATIO = 0.05  # real text has almost no C0 controls besides tab/newline/CR/form feed


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "FULLWIDTH", "IDEOGRAPHIC", "HALFWIDTH", "BOPOMOFO"))


def _looks_chinese(text: str) -> bool:
    """GB18030 decodes many non-Chinese byte soups without error; accept it only if it reads as Chinese. Chinese
    punctuation and symbols not named CJK (“” 《》 …… —— 【】 ℃ ±) count neither way: a dialogue or a book title
    has enough of them to fall under the ratio."""
    non_cjk = [ch for ch in text if ord(ch) > 127 and not _is_cjk(ch)]
    cjk = sum(ord(ch) > 127 for ch in text) - len(non_cjk)
    other = sum(unicodedata.category(ch)[0] not in "PS" for ch in non_cjk)
    return cjk > 0 and cjk / (cjk + other) >= 0.9


# Japanese and Korean legacy encodings use the same byte ranges as GB18030, so their text decodes without error
# into CJK-looking characters and passes _looks_chinese (Shift-JIS "富士見町の図書館" became "晉巑尒挰偺恾彂娰").
_JAPANESE_KOREAN = frozenset(
    {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213", "iso2022_jp"}
    | {"cp949", "euc_kr", "johab", "iso2022_kr"}
)
# charset-normalizer is unreliable on short text: on CMRC 2018's Chinese encoded as GB18030 it named a Japanese or
# Korean codec for 3.8% of 40-character passage openings and 13.5% of questions, and for none of 1,104 passages
# cut at 100 characters or more (nor the repository's Chinese documents); it named the right family for every
# 110-character window of Shift-JIS, EUC-JP, CP932, EUC-KR and CP949 text tried. Shorter files are not judged.
_MIN_CHARS_TO_JUDGE = 100


def _japanese_or_korean(data: bytes, text: str) -> bool:
    if len(text) < _MIN_CHARS_TO_JUDGE:
        return False
    from charset_normalizer import from_bytes  # deferred: only files that are not UTF-8 get here

    best = from_bytes(data[: 4 * _SNIFF_BYTES]).best()
    return best is not None and best.encoding in _JAPANESE_KOREAN


# Byte-order marks of the encodings whose NUL bytes are part of the text, not a sign of binary (such a file is
# sniffed once decoded). The UTF-32 marks first: the little-endian one begins with UTF-16's.
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_WIDE_BOM_MARKS = tuple(bom for bom, _ in _WIDE_BOMS)


def decode(data: bytes) -> tuple[str, str] | None:
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                return None
    bomless = _bomless_utf16(data)
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
    return (text, "gb18030") if _looks_chinese(text) and not _japanese_or_korean(data, text) else None


def encoding_hint(data: bytes) -> str:
    """What a file that is neither UTF-8 nor GB18030 Chinese probably is, and how to convert it. Said, not decoded:
    a wrong guess would index mojibake silently. Only what can be told reliably is named: UTF-8 spoiled by a few
    bytes, Big5 that reads as Chinese, a Western single-byte text (every non-ASCII byte alone between ASCII ones),
    and Japanese or Korean as `_japanese_or_korean` judges them; charset-normalizer alone named Windows-1250
    Finnish for a Latin-1 French note."""
    convert = "re-save it as UTF-8"
    bad = _invalid_utf8_offsets(data)
    valid = sum(ord(c) > 127 for c in data.decode("utf-8", "ignore"))  # non-ASCII characters that are good UTF-8
    if len(bad) == 1 or (valid and len(bad) <= max(3, valid // 20)):
        return (
            f"the file is UTF-8 except {len(bad)} invalid byte(s), the first at byte {bad[0]} "
            f"(0x{data[bad[0]]:02X}); fix or remove them, or {convert}."
        )
    try:
        big5 = data.decode("big5")
    except UnicodeDecodeError:
        big5 = ""
    if big5 and _looks_chinese(big5):
        return f"the file looks like Big5 (Traditional Chinese); {convert} (e.g. iconv -f BIG5 -t UTF-8)."
    if _single_high_bytes(data):
        return (
            "the file looks like a Western single-byte encoding (Windows-1252 or Latin-1); "
            f"{convert} (e.g. iconv -f WINDOWS-1252 -t UTF-8)."
        )
    try:
        legacy = data.decode("gb18030")
    except UnicodeDecodeError:
        legacy = ""
    if legacy and _japanese_or_korean(data, legacy):
        return f"the file looks like a Japanese or Korean legacy encoding (Shift-JIS, EUC-JP, EUC-KR…); {convert}."
    return f"the file is neither UTF-8 nor Chinese GB18030 and its encoding could not be told; {convert}."


def _invalid_utf8_offsets(data: bytes, limit: int = 1000) -> list[int]:
    """Byte offsets where `data` stops being valid UTF-8 (at most `limit` of them)."""
    found: list[int] = []
    start = 0
    while start < len(data) and len(found) < limit:
        try:
            data[start:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            found.append(start + exc.start)
            start += exc.end
    return found


def _single_high_bytes(data: bytes) -> bool:
    """Every byte of 0x80 and up stands alone between ASCII bytes (Western single-byte text: é, ü, ñ), and there are
    some: double-byte Asian encodings and UTF-8 come in runs."""
    high = [i for i, b in enumerate(data) if b >= 0x80]
    return bool(high) and all(not (i + 1 < len(data) and data[i + 1] >= 0x80) for i in high)


def _mostly_single_high_bytes(data: bytes) -> bool:
    """At least half of the bytes of 0x80 and up stand alone between ASCII bytes. GB18030 decodes Latin-1 German
    ("für", "Mädchen") without error into hanzi, each accented letter and the ASCII letter after it read as one
    character; Chinese comes in runs of high bytes (both bytes of a GB2312 character are 0x80 and up)."""
    runs = [len(run) for run in _HIGH_RUNS.findall(data)]  # a regex: a file of 10 MB is judged in milliseconds
    return bool(runs) and 2 * runs.count(1) >= sum(runs)


def _bomless_utf16(data: bytes) -> str | None:
    """The codec of UTF-16 text saved without a byte-order mark (Windows tools do), or None. Its NUL bytes (the
    high byte of every ASCII character) would otherwise make the sniff refuse it as binary. Recognised only in
    its plain form: at least half of its characters ASCII, each of them printable or a tab, CR or newline;
    a binary file whose NULs happen to fall at one parity rarely pairs them with printable bytes throughout.
    What it decodes to is still sniffed as text (`binary_text`)."""
    head = data[:_SNIFF_BYTES]
    if len(data) % 2 or len(head) < 4 or data.startswith(_WIDE_BOM_MARKS):
        return None
    pairs = len(head) // 2
    for codec, high, low in (("utf-16-le", 1, 0), ("utf-16-be", 0, 1)):
        ascii_low = [head[i + low] for i in range(0, 2 * pairs, 2) if head[i + high] == 0]
        if len(ascii_low) >= pairs / 2 and all(32 <= b < 127 or b in (9, 10, 13) for b in ascii_low):
            return codec
    return None


def looks_binary(data: bytes) -> bool:
    """Sniffed on the bytes; a file with a UTF-16/32 byte-order mark, or UTF-16 without one, is sniffed once
    decoded (`binary_text`)."""
    head = data[:_SNIFF_BYTES]
    if data.startswith(_WIDE_BOM_MARKS) or _bomless_utf16(data):
        return False
    if b"\0" in head:
        return True
    return _control_share(head) > _MAX_CONTROL_RATIO


def binary_text(text: str) -> bool:
    """Decoded text that is binary after all: almost any file starting with FF FE "decodes" as UTF-16, so a binary
    one would otherwise be indexed as a run of CJK-looking characters (which BM25 then matches as Chinese). Real
    text has no NUL and almost no controls, unassigned or private-use code points."""
    head = text[: _SNIFF_BYTES // 2]
    odd = sum(1 for ch in head if ch not in "\t\n\f\r" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    return "\0" in head or (bool(head) and odd / len(head) > _MAX_CONTROL_RATIO)


def _control_share(head: bytes) -> float:
    controls = sum(1 for b in head if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    return controls / len(head) if head else 0.0
