"""How specific a word is in its language, not in the corpus: the weight of a word in the `question_coverage`
share. A question the documents do not cover often shares their everyday words and misses the names it is about
("vLLM", "LVM", "定时关机"); an answerable colloquial question misses everyday words a technical text never
uses ("garbage", "took", "好不好"). Counting every missing term alike refused the second kind and answered the
first; weighing each by its rarity in the language tells a missing subject from a missing turn of phrase.

Chinese is written without spaces, so a question's "words" are what the segmenter makes of it, and on colloquial
text rjieba's unknown-word model glues everyday characters into tokens no word list holds ("装完", "答得",
"好几行", "能测"). Such a token is estimated from its pieces as wordfreq estimates any Chinese text (its
`word_frequency`): the best cut into listed words, their frequencies combined (1/f = 1/f1 + 1/f2 + ...) and
divided by 10 for each inferred word break. Only a token with a character the list lacks counts as rarest.

App layer (signals). Frequencies from wordfreq's small English and Chinese lists (words seen at least once per
million; data CC BY-SA 4.0, code Apache-2.0), read once per process on first use (~0.25 s) by the loader the
documents' decoding shares (app/documents/word_frequencies.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from functools import lru_cache
from itertools import combinations, pairwise

from app.documents.word_frequencies import log_frequencies
from guardrails.text import has_cjk

# Zipf scale: log10 of a word's frequency per billion words ("the" 7.7, "garbage" 4.2). A word the small list
# does not hold (rarer than one per million: product names, identifiers, numbers) counts as 0.
MAX_ZIPF = 9.0
# wordfreq's INFERRED_SPACE_FACTOR (10), in log10: each word break the segmenter inferred divides the frequency by 10
# (any text can be cut into listed characters; each inferred break makes the reading less likely).
INFERRED_BREAK = 1.0
# Longest unlisted Chinese token estimated from its pieces (2^(n-1) cuts are tried); a longer one counts as rarest.
MAX_PIECED = 6


# Cached: an unlisted Chinese token is read from its pieces (up to 32 cuts, ~70 us), and the same question words
# come back request after request; the lists it reads never change in a process.
@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """The Zipf frequency of `word` (normalised, lower case) in Chinese when it has CJK characters, else in
    English; 0.0 for a word rarer than the list holds. An unlisted Chinese token is estimated from its pieces."""
    chinese = has_cjk(word)
    listed = log_frequencies("zh" if chinese else "en")
    log_freq = listed.get(word)
    if log_freq is None and chinese:
        log_freq = pieced(word, listed)
    return min(MAX_ZIPF, max(0.0, log_freq + 9.0)) if log_freq is not None else 0.0


def pieced(word: str, listed: Mapping[str, float]) -> float | None:
    """log10 frequency of `word` read as listed pieces, wordfreq's way: the best cut's frequencies combined
    harmonically, minus one per inferred break; None when no cut is made of listed pieces."""
    if len(word) > MAX_PIECED:
        return None
    best: float | None = None
    for pieces in _cuts(word):
        if all(p in listed for p in pieces):
            combined = -math.log10(sum(10.0 ** -listed[p] for p in pieces)) - INFERRED_BREAK * (len(pieces) - 1)
            best = combined if best is None else max(best, combined)
    return best


def _cuts(word: str) -> Iterator[list[str]]:
    """Every way to cut `word` into two or more pieces."""
    for n in range(1, len(word)):
        for points in combinations(range(1, len(word)), n):
            bounds = (0, *points, len(word))
            yield [word[a:b] for a, b in pairwise(bounds)]


def specificity(word: str) -> float:
    """A word's weight in the coverage share: its information in the language (-log10 of its frequency, i.e.
    9 - Zipf), squared so that one missing name outweighs several missing everyday words: "the" 1.7, "away"
    11.6, "garbage" 23, "lvm" or "vllm" 81; "装完" (install + done, pieced) 28. Chosen on the tune halves of the
    team's sets and natural2."""
    return (MAX_ZIPF - zipf(word)) ** 2
