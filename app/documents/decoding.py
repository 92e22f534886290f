"""Bytes -> text for the text formats (markdown, plain text): which encoding a file is in (UTF-8, UTF-16/32 with
or without a byte-order mark, GB18030 only when it reads as Chinese), whether it is binary after all, and what
to tell a user whose file is in an encoding that is not read. Pure functions on bytes and str: no file access,
no LoadProblem (the loader turns their answers into one)."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter

from app.documents.word_frequencies import log_frequencies

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


# EUC-JP and EUC-KR put every character in two bytes of A1-FE, as GB2312 does: short kanji-only Japanese or
# hangul-only Korean reads as common hanzi ("東京都庁舎" as "澎叠旁模妓", "대한민국" as "措茄刮惫"), too short for
# charset-normalizer to judge. What tells them apart is whether the characters make words: each reading is split
# into the words of its language's wordfreq list (the likeliest split) and scored by the mean log frequency per
# letter; text is read as Chinese only when the GB18030 reading scores higher than either EUC one.
_EUC_READINGS = (("ja", "euc_jp"), ("ko", "euc_kr"))
_CJK_LETTERS = re.compile(r"[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7a3]+")
_UNKNOWN_LETTER = -9.0  # log10 frequency of a letter that starts no listed word: rarer than once in a billion
_LONGEST_WORD = 8


def _word_score(text: str, lang: str) -> float | None:
    """Mean log10 frequency per letter of the likeliest split of `text`'s CJK letters into words of `lang`; None
    when it has none. Real text makes common words (Chinese "数据库配置" -1.8); mojibake makes rare single letters
    (-4 and below)."""
    frequencies = log_frequencies(lang)  # read on first use: only short files that are not UTF-8 get here
    runs = _CJK_LETTERS.findall(text)
    letters = sum(map(len, runs))
    if not letters:
        return None
    total = 0.0
    for run in runs:
        best = [0.0] * (len(run) + 1)
        for end in range(1, len(run) + 1):
            best[end] = best[end - 1] + _UNKNOWN_LETTER
            for size in range(1, min(_LONGEST_WORD, end) + 1):
                freq = frequencies.get(run[end - size : end])
                if freq is not None:
                    best[end] = max(best[end], best[end - size] + freq)
        total += best[len(run)]
    return total / letters


def _short_euc(data: bytes, gb_text: str) -> str | None:
    """The EUC codec ("euc_jp", "euc_kr") that a text too short for `_japanese_or_korean` reads best in, when that
    is at least as well as in GB18030 (`gb_text`); None when GB18030 reads best. A tie is not taken as Chinese:
    unsure, the file is refused rather than indexed as mojibake."""
    if len(gb_text) >= _MIN_CHARS_TO_JUDGE:
        return None
    chinese = _word_score(gb_text, "zh")
    if chinese is None:
        return None
    best: tuple[float, str] | None = None
    for lang, codec in _EUC_READINGS:
        try:
            score = _word_score(data.decode(codec), lang)
        except UnicodeDecodeError:
            continue
        if score is not None and score >= chinese and (best is None or score > best[0]):
            best = (score, codec)
    return best[1] if best is not None else None


def _gb2312_common(ch: str) -> bool:
    """`ch` is one of GB2312's 3,755 common hanzi (level 1, lead bytes B0-D7), which make up nearly all of any
    Chinese text."""
    try:
        return 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u30ff"


def _shift_jis_japanese(data: bytes, gb_text: str) -> bool:
    """Whether `data` is Japanese in Shift-JIS (CP932), judged on the bytes however short the file: it reads as
    CP932 and (a) at least a tenth of its non-ASCII characters are kana (Japanese has kana in every sentence;
    GB2312 Chinese has no 0x82/0x83 lead byte, so read as CP932 it yields half-width katakana, not kana), or
    (b) it has no kana, no half-width katakana, and what GB18030 makes of it has almost none of the common hanzi
    every Chinese text is made of (Shift-JIS kanji fall in GBK's rare ranges: "東京都" reads "搶嫗搒").
    `_japanese_or_korean` judges longer text with charset-normalizer; this catches the short files it skips."""
    head = data[: 4 * _SNIFF_BYTES]  # judged on the opening, as charset-normalizer is: a file of 10 MB in milliseconds
    try:
        text = codecs.getincrementaldecoder("cp932")("strict").decode(head, final=len(head) == len(data))
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide or any(unicodedata.category(ch) in ("Co", "Cn") for ch in wide):
        return False
    kana = sum(map(_is_kana, wide))
    if kana:
        return kana >= 0.1 * len(wide)
    if any("\uff61" <= ch <= "\uff9f" for ch in wide):  # half-width katakana: GB2312 bytes read as CP932
        return False
    hanzi = [ch for ch in gb_text[: len(text)] if _is_cjk(ch) and unicodedata.category(ch) == "Lo"]
    return sum(map(_gb2312_common, hanzi)) < 0.1 * len(hanzi) if hanzi else False


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
    wide = _bomless_utf16_cjk(data)
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
    if not _looks_chinese(text) or _shift_jis_japanese(data, text) or _short_euc(data, text):
        return None
    return None if _japanese_or_korean(data, text) else (text, "gb18030")


def encoding_hint(data: bytes) -> str:
    """What a file that is neither UTF-8 nor GB18030 Chinese probably is, and how to convert it. Said, not decoded:
    a wrong guess would index mojibake silently. Only what can be told reliably is named: UTF-8 spoiled by a few
    bytes, Big5 that reads as Chinese, a Western single-byte text (every non-ASCII byte alone between ASCII ones),
    and Japanese or Korean as `_japanese_or_korean` judges them; charset-normalizer alone named Windows-1250
    Finnish for a Latin-1 French note."""
    convert = "re-save it as UTF-8"
    wide = _broken_wide(data)
    if wide is not None:
        return f"{wide}; {convert}."
    bad = _invalid_utf8_offsets(data)
    valid = sum(ord(c) > 127 for c in data.decode("utf-8", "ignore"))  # non-ASCII characters that are good UTF-8
    if len(bad) == 1 or (valid > len(bad) and len(bad) <= max(3, valid // 20)):  # most non-ASCII is good UTF-8
        return (
            f"the file is UTF-8 except {len(bad)} invalid byte(s), the first at byte {bad[0]} "
            f"(0x{data[bad[0]]:02X}); fix or remove them, or {convert}."
        )
    if _single_high_bytes(data):
        return (
            "the file looks like a Western single-byte encoding (Windows-1252 or Latin-1); "
            f"{convert} (e.g. iconv -f WINDOWS-1252 -t UTF-8)."
        )
    try:
        legacy = data.decode("gb18030")
    except UnicodeDecodeError:
        legacy = ""
    # before Big5: EUC-JP Japanese decodes as Big5 into hanzi that read as Chinese
    if _shift_jis_japanese(data, legacy):
        return f"the file looks like Japanese in Shift-JIS; {convert} (e.g. iconv -f SHIFT_JIS -t UTF-8)."
    euc = _short_euc(data, legacy) if legacy and _looks_chinese(legacy) else None
    if euc is not None:
        language, codec = {"euc_jp": ("Japanese", "EUC-JP"), "euc_kr": ("Korean", "EUC-KR")}[euc]
        return (
            f"the file looks like {language} in {codec}: too short to tell from Chinese GB18030 by its bytes, and its "
            f"characters make {language} words rather than Chinese ones; {convert} (e.g. iconv -f {codec} -t UTF-8)."
        )
    if legacy and _japanese_or_korean(data, legacy):
        return f"the file looks like a Japanese or Korean legacy encoding (Shift-JIS, EUC-JP, EUC-KR…); {convert}."
    try:
        big5 = data.decode("big5")
    except UnicodeDecodeError:
        big5 = ""
    if big5 and _looks_chinese(big5):
        return f"the file looks like Big5 (Traditional Chinese); {convert} (e.g. iconv -f BIG5 -t UTF-8)."
    return f"the file is neither UTF-8 nor Chinese GB18030 and its encoding could not be told; {convert}."


def _broken_wide(data: bytes) -> str | None:
    """What is wrong with a file `decode` took for UTF-16/32 (a byte-order mark, or UTF-16's NUL pattern without
    one) and could not decode, or None for any other file: such a file was said to be "neither UTF-8 nor
    GB18030", which sent its owner looking at the wrong encodings."""
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            said = f"the file begins with a {codec.upper()} byte-order mark but is not valid {codec.upper()}"
            return said + _decode_error(data, codec)
    bomless = _bomless_utf16(data)
    if bomless is None:
        return None
    return "the file looks like UTF-16 without a byte-order mark but is not valid UTF-16" + _decode_error(data, bomless)


def _decode_error(data: bytes, codec: str) -> str:
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        return f" ({exc.reason} at byte {exc.start})"
    return ""


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


def _bomless_utf16_cjk(data: bytes) -> str | None:
    """The codec of Chinese, Japanese or Korean text saved as UTF-16 without a byte-order mark, or None. Such text
    has few ASCII characters, so `_bomless_utf16` cannot see it; its bytes hold NULs and controls (U+4E00 and the
    CJK punctuation U+3000-U+303F) that made it "binary". Recognised only when exactly one byte order reads as
    CJK text throughout (`_reads_as_cjk`); the other order gives surrogates, Yi and private use."""
    head = data[: _SNIFF_BYTES - _SNIFF_BYTES % 4]
    if len(data) % 2 or len(head) < 2 * _MIN_WIDE_CHARS or data.startswith(_WIDE_BOM_MARKS):
        return None
    if data.isascii() or (_control_share(head) <= _MAX_CONTROL_RATIO and _valid_utf8(data)):
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


def looks_binary(data: bytes) -> bool:
    """Sniffed on the bytes; a file with a UTF-16/32 byte-order mark, or UTF-16 without one, is sniffed once
    decoded (`binary_text`)."""
    head = data[:_SNIFF_BYTES]
    if data.startswith(_WIDE_BOM_MARKS) or _bomless_utf16(data) or _bomless_utf16_cjk(data):
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


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _control_share(head: bytes) -> float:
    controls = sum(1 for b in head if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    return controls / len(head) if head else 0.0
