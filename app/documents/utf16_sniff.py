"""Whether bytes are in a wide encoding (UTF-16/32): the byte-order marks, and UTF-16 saved without one, either
mostly ASCII (its NULs at one parity) or Chinese, Japanese or Korean text (few NULs, read as CJK throughout).
Also the sniff window and the control-byte share the binary sniff (app.documents.decoding) judges with. Pure
functions on bytes."""

from __future__ import annotations

import codecs
from collections import Counter

SNIFF_BYTES = 8192
MAX_CONTROL_RATIO = 0.05  # real text has almost no C0 controls besides tab/newline/CR/form feed

# Byte-order marks of the encodings whose NUL bytes are part of the text, not a sign of binary (such a file is
# sniffed once decoded). The UTF-32 marks first: the little-endian one begins with UTF-16's.
WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
WIDE_BOM_MARKS = tuple(bom for bom, _ in WIDE_BOMS)


def bomless_utf16(data: bytes) -> str | None:
    """The codec of UTF-16 text saved without a byte-order mark (Windows tools do), or None. Its NUL bytes (the
    high byte of every ASCII character) would otherwise make the sniff refuse it as binary. Recognised only in
    its plain form: at least half of its characters ASCII, each of them printable or a tab, CR or newline;
    a binary file whose NULs happen to fall at one parity rarely pairs them with printable bytes throughout.
    What it decodes to is still sniffed as text (decoding.binary_text)."""
    head = data[:SNIFF_BYTES]
    if len(data) % 2 or len(head) < 4 or data.startswith(WIDE_BOM_MARKS):
        return None
    pairs = len(head) // 2
    for codec, high, low in (("utf-16-le", 1, 0), ("utf-16-be", 0, 1)):
        ascii_low = [head[i + low] for i in range(0, 2 * pairs, 2) if head[i + high] == 0]
        if len(ascii_low) >= pairs / 2 and all(32 <= b < 127 or b in (9, 10, 13) for b in ascii_low):
            return codec
    return None


_HAN = (("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"), ("\uf900", "\ufaff"))
_KANA = (("\u3041", "\u30ff"),)
_HANGUL = (("\u1100", "\u11ff"), ("\u3130", "\u318f"), ("\uac00", "\ud7a3"))
# CJK punctuation, full-width forms, arrows and geometric shapes (their low bytes are never ASCII), and the few
# other marks Chinese and Japanese text use (“” ‘’ …… —— · × ° ±). Not the rest of General Punctuation: ASCII read
# two bytes at a time gives U+20xx for every space before a character.
_CJK_MARKS = (("\u3000", "\u303f"), ("\uff00", "\uffef"), ("\u2190", "\u21ff"), ("\u25a0", "\u25ff"))
_OTHER_MARKS = frozenset("\u00b0\u00b1\u00b7\u00d7\u00f7\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2103")
_MIN_WIDE_CHARS = 4
_MIN_COMMON_SHARE = 0.6
_MAX_ONE_LETTER = 0.3


def _within(ch: str, ranges: tuple[tuple[str, str], ...]) -> bool:
    return any(low <= ch <= high for low, high in ranges)


def _in_legacy_range(ch: str, codec: str, low: int, high: int) -> bool:
    """`ch` encodes in `codec` to two bytes from `low` to `high` (a legacy standard's common characters)."""
    try:
        code = ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and low <= int.from_bytes(code, "big") <= high


def _common_share(letters: list[str], standards: tuple[tuple[str, int, int], ...]) -> float:
    return max(sum(_in_legacy_range(ch, *standard) for ch in letters) / len(letters) for standard in standards)


# The common characters of each script: GB2312 level 1 (3,755 simplified hanzi), Big5 level 1 (5,401
# traditional), KS X 1001's 2,350 hangul syllables. Real text is almost all made of them; a random pick of
# code points is mostly not (a fifth to a quarter of the hanzi, a fifth of the hangul).
_COMMON_HANZI = (("gb2312", 0xB0A1, 0xD7FE), ("big5", 0xA440, 0xC67E))
_COMMON_HANGUL = (("euc_kr", 0xB0A1, 0xC8FE),)


def _reads_as_cjk(text: str) -> bool:
    """Text whose every character is printable ASCII, a tab or line break, punctuation (general, CJK, full-width)
    or a letter of one East Asian writing system: Chinese or Japanese (hanzi and kana) or Korean (hangul), with
    at least `_MIN_WIDE_CHARS` letters that are mostly the script's common ones, or a tenth of them kana
    (Japanese). Bytes that are not UTF-16 rarely decode (a surrogate out of place stops them) and then scatter
    over Yi, hangul, private use and rare hanzi: Shift-JIS read as UTF-16 gives hanzi, but rare ones."""
    han = [ch for ch in text if _within(ch, _HAN)]
    kana = sum(_within(ch, _KANA) for ch in text)
    hangul = [ch for ch in text if _within(ch, _HANGUL)]
    rest = len(text) - len(han) - kana - len(hangul)
    if rest != sum(_within(ch, _CJK_MARKS) or ch in _OTHER_MARKS or " " <= ch <= "~" or ch in "\t\n\r\f" for ch in text):
        return False
    letters = [ch for ch in text if _within(ch, _HAN + _KANA + _HANGUL)]
    if len(letters) >= 2 * _MIN_WIDE_CHARS and Counter(letters).most_common(1)[0][1] > _MAX_ONE_LETTER * len(letters):
        return False  # a table of one repeated value, not words (the commonest hanzi, 的, is a twentieth of text)
    if hangul:
        return not (han or kana) and len(hangul) >= _MIN_WIDE_CHARS and _common_share(hangul, _COMMON_HANGUL) >= 0.9
    if len(han) + kana < _MIN_WIDE_CHARS:
        return False
    japanese = kana >= max(2, 0.1 * (len(han) + kana))
    return japanese or _common_share(han, _COMMON_HANZI) >= _MIN_COMMON_SHARE


def bomless_utf16_cjk(data: bytes) -> str | None:
    """The codec of Chinese, Japanese or Korean text saved as UTF-16 without a byte-order mark, or None. Such text
    has few ASCII characters, so `bomless_utf16` cannot see it; its bytes hold NULs and controls (U+4E00 and the
    CJK punctuation U+3000-U+303F) that made it "binary". Recognised only when exactly one byte order reads as
    CJK text throughout (`_reads_as_cjk`); the other order gives surrogates, Yi and private use."""
    head = data[: SNIFF_BYTES - SNIFF_BYTES % 4]
    if len(data) % 2 or len(head) < 2 * _MIN_WIDE_CHARS or data.startswith(WIDE_BOM_MARKS):
        return None
    if data.isascii() or (control_share(head) <= MAX_CONTROL_RATIO and _valid_utf8(data)):
        return None  # ASCII or UTF-8 text, a control or NUL in it sniffed as such: paired up, "te" reads as 整
    found = []
    for codec in ("utf-16-le", "utf-16-be"):
        try:  # incremental: a surrogate pair cut by the sniff window is not an error
            text = codecs.getincrementaldecoder(codec)("strict").decode(head, final=len(head) == len(data))
        except UnicodeDecodeError:
            continue
        if _reads_as_cjk(text):
            found.append(codec)
    if len(found) != 1:
        return None
    try:
        data.decode(found[0])
    except UnicodeDecodeError:
        return None
    return found[0]


def control_share(head: bytes) -> float:
    controls = sum(1 for b in head if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    return controls / len(head) if head else 0.0


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
