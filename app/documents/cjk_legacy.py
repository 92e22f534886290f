"""Whether bytes that GB18030 decodes are Chinese, or Japanese or Korean in a legacy encoding (Shift-JIS, EUC-JP,
EUC-KR...) that GB18030 also decodes without error into CJK-looking characters. Pure functions on bytes and
str: the decoder (app.documents.decoding) reads a file as GB18030 only when these say Chinese, and the hint
(app.documents.encoding_hint) names the legacy encoding when they do not."""

from __future__ import annotations

import codecs
import re
import unicodedata

from app.documents.word_frequencies import log_frequencies

_JUDGED_BYTES = 32768  # what a file is judged on: its opening, all charset-normalizer is given of it


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "FULLWIDTH", "IDEOGRAPHIC", "HALFWIDTH", "BOPOMOFO"))


def looks_chinese(text: str) -> bool:
    """GB18030 decodes many non-Chinese byte soups without error; accept it only if it reads as Chinese. Chinese
    punctuation and symbols not named CJK (“” 《》 …… —— 【】 ℃ ±) count neither way: a dialogue or a book title
    has enough of them to fall under the ratio."""
    non_cjk = [ch for ch in text if ord(ch) > 127 and not _is_cjk(ch)]
    cjk = sum(ord(ch) > 127 for ch in text) - len(non_cjk)
    other = sum(unicodedata.category(ch)[0] not in "PS" for ch in non_cjk)
    return cjk > 0 and cjk / (cjk + other) >= 0.9


# Japanese and Korean legacy encodings use the same byte ranges as GB18030, so their text decodes without error
# into CJK-looking characters and passes looks_chinese (Shift-JIS "富士見町の図書館" became "晉巑尒挰偺恾彂娰").
_JAPANESE_KOREAN = frozenset(
    {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213", "iso2022_jp"}
    | {"cp949", "euc_kr", "johab", "iso2022_kr"}
)
# charset-normalizer is unreliable on short text: on CMRC 2018's Chinese encoded as GB18030 it named a Japanese or
# Korean codec for 3.8% of 40-character passage openings and 13.5% of questions, and for none of 1,104 passages
# cut at 100 characters or more (nor the repository's Chinese documents); it named the right family for every
# 110-character window of Shift-JIS, EUC-JP, CP932, EUC-KR and CP949 text tried. Shorter files are not judged.
_MIN_CHARS_TO_JUDGE = 100


def japanese_or_korean(data: bytes, text: str) -> bool:
    if len(text) < _MIN_CHARS_TO_JUDGE:
        return False
    from charset_normalizer import from_bytes  # deferred: only files that are not UTF-8 get here

    best = from_bytes(data[:_JUDGED_BYTES]).best()
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


def short_euc(data: bytes, gb_text: str) -> str | None:
    """The EUC codec ("euc_jp", "euc_kr") that a text too short for `japanese_or_korean` reads best in, when that
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


def shift_jis_japanese(data: bytes, gb_text: str) -> bool:
    """Whether `data` is Japanese in Shift-JIS (CP932), judged on the bytes however short the file: it reads as
    CP932 and (a) at least a tenth of its non-ASCII characters are kana (Japanese has kana in every sentence;
    GB2312 Chinese has no 0x82/0x83 lead byte, so read as CP932 it yields half-width katakana, not kana), or
    (b) it has no kana, no half-width katakana, and what GB18030 makes of it has almost none of the common hanzi
    every Chinese text is made of (Shift-JIS kanji fall in GBK's rare ranges: "東京都" reads "搶嫗搒").
    `japanese_or_korean` judges longer text with charset-normalizer; this catches the short files it skips."""
    head = data[:_JUDGED_BYTES]  # judged on the opening, as charset-normalizer is: a file of 10 MB in milliseconds
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
