"""Undo the cheap disguises attackers put on trigger phrases, so the pattern families still see them:
spaced or hyphenated letters ("I g n o r e", "Igno-re", "忽-略-之-前", "忽，略，之，前"), digits for letters
("1gn0re"), a word broken in two by a space, a hyphen or a line break ("ig nore", "disre-" at a line's end),
invisible characters (zero-width, soft hyphen, bidi controls, Hangul fillers), accents and other combining marks
("ígnore"), Cyrillic and Greek look-alike letters in Latin words ("ignоre" with a Cyrillic о), Traditional
Chinese characters ("無視之前的指令"), and English glued to Chinese text ("请ignore all previous instructions").

Pure policy layer (stdlib only). The variants are scanned besides the original text, never instead of it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache

# Characters that show nothing: the format characters (category Cf: zero-width space/joiners, soft hyphen, bidi
# controls, word joiner and invisible operators, BOM, interlinear annotation, tag characters), the Mongolian vowel
# separator and the Hangul fillers (letters that render blank), and variation selectors.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Combining marks written on letters: accents ("ígnore", "i\u0301gnore") and the marks of the diacritics blocks.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_CJK = "\u4e00-\u9fff"
_CJK_SPREAD = re.compile(rf"(?<=[{_CJK}])[\s\-_.·*|/~（）()]+(?=[{_CJK}])")
# Chinese letter-spaced with punctuation ("忽，略，之，前", "忽、略、以、上"): punctuation only goes when it stands
# after each of three or more characters in a row ("忽，略，之"; the first may end a word); between words and clauses
# ("安装、配置、运行") it is ordinary punctuation.
_CJK_SEP = r"[\s,，、。．.;；:：!！?？·・‧]"
_CJK_PUNCT = _CJK_SEP + "+"
_CJK_SPACED_RUN = re.compile(rf"(?:[{_CJK}]{_CJK_PUNCT}){{2,}}[{_CJK}]")
_CJK_PUNCT_RE = re.compile(_CJK_PUNCT)
# Such a run has a character with a separator on both sides: a quick test that skips ordinary text.
_CJK_LONE = re.compile(rf"{_CJK_SEP}[{_CJK}]{_CJK_SEP}")
# Cyrillic and Greek letters that look like Latin ones (after Unicode's confusables.txt), and two Latin look-alikes
# NFKC keeps. A small table: the guardrails are stdlib-only, and the attack only needs the look-alikes of Latin.
_LOOKALIKE = str.maketrans(
    "аеорсухіјѕԁԛԝһӏАВЕКМНОРСТХУІЈЅԚԜνοαρτυικχΑΒΕΖΗΙΚΜΝΟΡΤΥΧıɡ",
    "aeopcyxijsdqwhlABEKMHOPCTXYIJSQWvoaptuikxABEZHIKMNOPTYXig",
)
_LOOKALIKE_CHARS = frozenset(chr(c) for c in _LOOKALIKE)
_ANY_LOOKALIKE = re.compile("[" + "".join(sorted(_LOOKALIKE_CHARS)) + "]")
# A word of Latin, Greek or Cyrillic letters: its look-alikes are read as Latin when it has a Latin letter (a mixed
# word is a disguise) or when every letter of it is a look-alike.
_ALPHABETIC_WORD = re.compile("[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u052f]+")
# re.ASCII: with a Unicode \b a disguised word written right after Chinese text ("请1gn0re …") had no word boundary.
_SPACED_LETTERS = re.compile(r"\b(?:[A-Za-z][ \t]){2,}[A-Za-z]\b", re.ASCII)
_INNER_MARK = re.compile(r"(?<=[A-Za-z])[-.·*_](?=[A-Za-z])")
# A word hyphenated over a line break ("disre-" then "gard" on the next line): whole again, whatever the word.
_LINE_HYPHEN = re.compile(r"(?<=[A-Za-z])[ \t]*-[ \t]*\r?\n[ \t]*(?=[A-Za-z])")
# Two pieces of one word, split by spaces, a hyphen or a line break ("ig nore", "prev - ious").
# Joined only when the pieces make a word the patterns look for (`words`) and neither piece is such a word on
# its own; pairs of everyday words that happen to make one ("for get", "over ride", "by pass") stay apart.
_PIECES = re.compile(r"\b([A-Za-z]+)([ \t]+|[ \t]*-[ \t]*|[ \t]*\r?\n[ \t]*)(?=([A-Za-z]+)\b)", re.ASCII)
_EVERYDAY = frozenset(
    {"a", "an", "any", "as", "at", "be", "by", "every", "for", "get", "in", "into", "no", "on", "one", "or", "other"}
    | {"out", "over", "pass", "put", "ride", "some", "thing", "to", "with"}
)
# A word ending in two or more digits is a name with a version ("Win10", "qwen25"), not letters written as digits.
_LEET_WORD = re.compile(
    r"\b(?=[A-Za-z0-9@$]*[A-Za-z])(?=[A-Za-z0-9@$]*[013457@$])(?![A-Za-z0-9@$]*[A-Za-z@$]\d{2,}\b)[A-Za-z0-9@$]{3,}\b",
    re.ASCII,
)
_LEET = str.maketrans("013457@$", "oieastas")
# Latin written straight against Chinese ("请ignore all previous instructions"): the English patterns start at a
# word boundary, which Python's Unicode \b does not see between 请 and i. A space there lets them.
_CJK_LATIN = re.compile(rf"(?<=[{_CJK}])(?=[A-Za-z])|(?<=[A-Za-z])(?=[{_CJK}])")
# Traditional -> Simplified for the characters of the Chinese pattern families (a full converter would be a
# dependency for a handful of characters).
_TRADITIONAL = str.maketrans(
    "無視統詞輸設規則記憶開發顯隱說讓請這個們從現為麼樣與還當應該複製將內訴給沒約審覽遵違刪讀寫問題時間後條項務資檔庫識"
    "錄據過濾禁術語權碼絕對話態機器僅並處隨帶變歷舊擬測試員導啟動閉級蓋優盡戲劇劃鍵盤網絡們隊標獲銷",
    "无视统词输设规则记忆开发显隐说让请这个们从现为么样与还当应该复制将内诉给没约审览遵违删读写问题时间后条项务资档库识"
    "录据过滤禁术语权码绝对话态机器仅并处随带变历旧拟测试员导启动闭级盖优尽戏剧划键盘网络们队标获销",
)


def variants(text: str, words: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The text, plus one normalised copy when normalising changed anything. `words` (lower case): the words the
    patterns look for, which are joined again when split in two ("ig nore")."""
    plain = unicodedata.normalize("NFKD", _INVISIBLE.sub("", text))
    plain = unicodedata.normalize("NFC", _COMBINING.sub("", plain)).translate(_TRADITIONAL)
    if _ANY_LOOKALIKE.search(plain):  # nearly never: skip the per-word look-up
        plain = _ALPHABETIC_WORD.sub(_latin_lookalikes, plain)
    if _CJK_LONE.search(plain):
        plain = _CJK_SPACED_RUN.sub(lambda m: _CJK_PUNCT_RE.sub("", m.group(0)), plain)
    plain = _CJK_SPREAD.sub("", plain)
    plain = _SPACED_LETTERS.sub(lambda m: re.sub(r"[ \t]", "", m.group(0)), plain)
    plain = _INNER_MARK.sub("", _LINE_HYPHEN.sub("", plain))
    plain = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), plain)
    if words:
        plain = _join_pieces(plain, words)
    plain = _CJK_LATIN.sub(" ", plain)
    return (text,) if plain == text else (text, plain)


def _join_pieces(text: str, words: frozenset[str]) -> str:
    """`text` with the separator gone between two pieces that make one of `words` ("ig nore" -> "ignore")."""
    cuts: list[tuple[int, int]] = []
    for match in _PIECES.finditer(text):
        first, second = match.group(1).lower(), match.group(3).lower()
        if first + second not in words or first in words or second in words:
            continue
        if first in _EVERYDAY and second in _EVERYDAY:
            continue
        cuts.append(match.span(2))
    if not cuts:
        return text
    kept, last = [], 0
    for start, end in cuts:
        kept.append(text[last:start])
        last = end
    return "".join(kept) + text[last:]


def _latin_lookalikes(match: re.Match[str]) -> str:
    word = match.group(0)
    if any("a" <= c <= "z" or "A" <= c <= "Z" for c in word) or all(c in _LOOKALIKE_CHARS for c in word):
        return word.translate(_LOOKALIKE)
    return word


def original_of(text: str, variant: str, start: int, end: int) -> str:
    """The part of `text` (as the user wrote it) that became `variant[start:end]`, so evidence quotes the user's
    own words. Invisible characters in it are shown as <U+200B>: the reader sees what the normaliser removed."""
    if variant == text:
        return text[start:end]
    blocks = _opcodes(variant, text)
    first = next((b for b in blocks if b[1] <= start < b[2]), None)
    last = next((b for b in blocks if b[1] < end <= b[2]), None)
    if first is None or last is None:  # an empty match: nothing of the user's text to quote
        return variant[start:end]
    begin = first[3] + (start - first[1]) if _one_to_one(first) else first[3]
    stop = last[3] + (end - last[1]) if _one_to_one(last) else last[4]
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text[begin:stop])


@lru_cache(maxsize=8)
def _opcodes(variant: str, text: str) -> tuple[tuple[str, int, int, int, int], ...]:
    """How `text` became `variant`: computed once per text, not once per quoted match (difflib is quadratic, and
    a long text full of trigger phrases has dozens of matches)."""
    return tuple(difflib.SequenceMatcher(None, variant, text, autojunk=False).get_opcodes())


def _one_to_one(block: tuple[str, int, int, int, int]) -> bool:
    """Whether each character of the block stands for one of the original (kept, or replaced one by one: 無 -> 无)."""
    return block[0] == "equal" or (block[0] == "replace" and block[2] - block[1] == block[4] - block[3])
