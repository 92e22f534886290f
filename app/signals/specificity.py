"""How specific a word is in its language, not in the corpus: the weight of a word in the `question_coverage`
share. A question the documents do not cover often shares their everyday words and misses the names it is about
("vLLM", "LVM", "定时关机"); an answerable colloquial question misses everyday words a technical text never
uses ("garbage", "took", "好不好"). Counting every missing term alike refused the second kind and answered the
first; weighing each by its rarity in the language tells a missing subject from a missing turn of phrase.

App layer (signals). Frequencies from wordfreq's small English and Chinese lists (words seen at least once per
million; data CC BY-SA 4.0, code Apache-2.0), read once per process on first use (~0.25 s) by the loader the
documents' decoding shares (app/documents/word_frequencies.py).
"""

from __future__ import annotations

from app.documents.word_frequencies import log_frequencies
from guardrails.text import has_cjk

# Zipf scale: log10 of a word's frequency per billion words ("the" 7.7, "garbage" 4.2). A word the small list
# does not hold (rarer than one per million: product names, identifiers, numbers) counts as 0.
MAX_ZIPF = 9.0


def zipf(word: str) -> float:
    """The Zipf frequency of `word` (normalised, lower case) in Chinese when it has CJK characters, else in
    English; 0.0 for a word rarer than the list holds."""
    log_freq = log_frequencies("zh" if has_cjk(word) else "en").get(word)
    return min(MAX_ZIPF, max(0.0, log_freq + 9.0)) if log_freq is not None else 0.0


def specificity(word: str) -> float:
    """A word's weight in the coverage share: its information in the language (-log10 of its frequency, i.e.
    9 - Zipf), squared so that one missing name outweighs several missing everyday words: "the" 1.7, "away"
    11.6, "garbage" 23, "lvm" or "vllm" 81. Chosen on the tune halves of the team's sets and natural2."""
    return (MAX_ZIPF - zipf(word)) ** 2
