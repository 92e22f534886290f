"""Shared text helpers for the guardrails: tokens, stopwords and CJK detection, for Chinese and English. Numbers
are in text_numbers.py, quoted terms and code fences in text_quotes.py.

Pure policy layer (stdlib only). Every guardrail that compares or scans text goes through these helpers,
so "a token" means the same thing in every check.
"""

from __future__ import annotations

import re
import unicodedata

# Small on purpose: only words that carry no topic. Guardrail-specific "generic" words (placeholder nouns,
# evaluative adjectives) live with the guardrail that needs them, not here.
STOPWORDS_EN: frozenset[str] = frozenset(
    """
    a an the and or but if so as of to in on at by for from with into onto over under about than then is are was
    were be been being am do does did doing done has have had having i me my mine we us our you your yours he him
    his she her it its they them their this that these those what which who whom whose when where why how there
    here can could should would will shall may might must not no nor yes also just only very too more most some
    any all each every other such own same up down out off again further once both few s t don doesn didn isn aren
    wasn weren won wouldn couldn shouldn let
    """.split()  # noqa: SIM905 (a word list kept compact, as in completeness_lexicon.py)
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
    exactly by `text_numbers.numbers()`.
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
