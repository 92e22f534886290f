"""Shared text helpers for the guardrails: tokens, numbers and quoted terms, for Chinese and English.

Pure policy layer (stdlib only). Every guardrail that compares or scans text goes through these helpers,
so "a token" and "a number" mean the same thing in every check.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Small on purpose: only words that carry no topic. Guardrail-specific "generic" words (placeholder nouns,
# evaluative adjectives) live with the guardrail that needs them, not here.
STOPWORDS_EN: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "so",
        "as",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "than",
        "then",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "done",
        "has",
        "have",
        "had",
        "having",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "us",
        "our",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "there",
        "here",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "not",
        "no",
        "nor",
        "yes",
        "also",
        "just",
        "only",
        "very",
        "too",
        "more",
        "most",
        "some",
        "any",
        "all",
        "each",
        "every",
        "other",
        "such",
        "own",
        "same",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "once",
        "both",
        "few",
        "s",
        "t",
        "don",
        "doesn",
        "didn",
        "isn",
        "aren",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "couldn",
        "shouldn",
        "let",
    ]
)

# Chinese function characters; a bigram made only of these carries no topic ("的是", "了吗").
STOPCHARS_ZH: frozenset[str] = frozenset("的了是在和与或也就都而及等吗呢吧啊呀么着过把被给让对从向于为之其")

_CJK_RANGES = (
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x2FA1F),  # Extensions B..F and supplement
)

# The same ranges as one character class: scanning a text with a compiled regex is ~50x faster than a
# Python-level loop over its characters, and these helpers run on every question and every chunk.
_CJK_CLASS = "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES) + "]"
_CJK_RE = re.compile(_CJK_CLASS)
_CJK_SPLIT_RE = re.compile(f"({_CJK_CLASS}+)")
_WORD_RE = re.compile(r"[a-z0-9_]+")
# A number starts a token: not glued to an ASCII letter/digit/underscore/dot on its left, so "qwen2.5",
# "Q4_K_M" and "v0.6" yield nothing, while units on its right are fine ("8GB" -> 8, "7b" -> 7). CJK
# neighbours are fine too ("端口11434"). Both sides of a comparison are extracted the same way.
# A minus sign belongs to the number ("-1" is not "1") unless the hyphen follows a letter, digit or dot ("3-5",
# "2024-01-15", "coder-7b"). Every dotted part belongs to it too: "0.5.7" and "127.0.0.1" are one value each, not
# "0.5" and "127".
_NUMBER_RE = re.compile(r"(?:(?<![A-Za-z0-9_.\-])(-))?(?<![A-Za-z0-9_.])(\d{1,3}(?:,\d{3})+(?!\d)|\d+)((?:\.\d+)+)?(?![\d_])")
# Enclosed numbers (①, ⑴, ⒈, ㉑) are enumeration marks, like list numbering, not values; NFKC would turn them into
# digits ("①②③" -> "123").
_ENCLOSED_NUMBER_RE = re.compile("[\u2460-\u24ff\u3251-\u325f\u32b1-\u32bf]")
_QUOTED_RES = (
    re.compile(r'"([^"\n]{1,200})"'),
    re.compile(r"“([^”\n]{1,200})”"),
    re.compile(r"「([^」\n]{1,200})」"),
    re.compile(r"『([^』\n]{1,200})』"),
    re.compile(r"`([^`\n]{1,200})`"),
)
_FENCE_RE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)


def is_cjk(char: str) -> bool:
    return _CJK_RE.match(char) is not None


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def cjk_chars(text: str) -> list[str]:
    """The text's CJK characters, in order (one regex pass: what is_cjk() accepts, character by character)."""
    return _CJK_RE.findall(text)


def count_cjk(text: str) -> int:
    """How many CJK characters the text has."""
    return len(cjk_chars(text))


def cjk_letters(text: str) -> int:
    """How many of the text's letters (str.isalpha) are CJK characters."""
    return sum(map(str.isalpha, cjk_chars(text)))


def lang_of(text: str) -> str:
    """'zh' when the text has any CJK character, else 'en' (used to pick the language of replies)."""
    return "zh" if has_cjk(text) else "en"


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and casefold."""
    return unicodedata.normalize("NFKC", text).casefold()


def tokens(text: str) -> list[str]:
    """Lowercase English word tokens plus Chinese character bigrams, in order.

    Chinese is split into overlapping character bigrams of each CJK run (a run of one character gives
    that character). Overlap scoring only needs units that two texts about the same thing share, and
    bigrams do that without a dictionary: no word segmenter is needed, and we avoid depending on jieba,
    which has been unmaintained since 2020. Pure-number tokens are dropped here; numbers are compared
    exactly by `numbers()`.
    """
    out: list[str] = []
    # With a capturing group, split() alternates: text between CJK runs, a CJK run, text between, ...
    for i, part in enumerate(_CJK_SPLIT_RE.split(normalize(text))):
        if i % 2 == 0:
            out.extend(_words(part))
        elif len(part) == 1:
            out.append(part)
        else:
            out.extend(part[j : j + 2] for j in range(len(part) - 1))
    return out


def _words(text: str) -> list[str]:
    return [w for w in _WORD_RE.findall(text) if not w.isdigit()]


def content_tokens(text: str) -> list[str]:
    """`tokens()` without English stopwords and without bigrams made only of Chinese function characters."""
    return [t for t in tokens(text) if not _is_stop(t)]


def _is_stop(token: str) -> bool:
    if token in STOPWORDS_EN:
        return True
    if is_cjk(token[0]):
        return all(c in STOPCHARS_ZH for c in token)
    return len(token) == 1 and token != "_"  # stray single letters ("s" of "it's") carry nothing


def stem(token: str) -> str:
    """A deliberately tiny English plural folding ("listens" ~ "listen"); CJK tokens are returned as is."""
    if len(token) > 3 and token.isascii() and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def content_terms(text: str) -> set[str]:
    """The distinct stemmed content tokens of a text: what overlap scores compare."""
    return {stem(t) for t in content_tokens(text)}


def numbers(text: str) -> list[str]:
    """Numbers standing on their own ("11434", "0.8", "2,048" -> "2048"), normalized so 0.80 == 0.8."""
    found: list[str] = []
    # A full-width comma is Chinese punctuation ("256，512" lists two numbers), never a thousands separator; NFKC
    # would make it ",", so it becomes an enumeration comma first. Enclosed list marks (①) are not numbers.
    text = _ENCLOSED_NUMBER_RE.sub(" ", text.replace("，", "、"))
    for match in _NUMBER_RE.finditer(unicodedata.normalize("NFKC", text)):
        raw = (match.group(1) or "") + match.group(2).replace(",", "") + (match.group(3) or "")
        found.append(canonical_number(raw))
    return found


def canonical_number(raw: str) -> str:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return raw
    return format(value.normalize(), "f")


def strip_code_fences(text: str) -> str:
    return _FENCE_RE.sub(" ", text)


def quoted_terms(text: str) -> list[str]:
    """Terms the text puts in quotes: "x", “x”, 「x」, 『x』 and `x` (fenced ``` blocks are not terms)."""
    text = strip_code_fences(text)
    found: list[str] = []
    for pattern in _QUOTED_RES:
        for match in pattern.finditer(text):
            term = match.group(1).strip()
            if term and term not in found:
                found.append(term)
    return found


def squash(text: str) -> str:
    """Normalized text with all whitespace removed, for lenient substring checks of quoted terms."""
    return "".join(normalize(text).split())
