"""Claims that restate a passage sentence with the passage's own words and still contradict it: a swapped
comparison (the passage says "a larger model at Q4 answers better than a smaller model at Q8", the answer the
reverse). Overlap and similarity pass it (the words are the passage's) and nothing is negated or renumbered.

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py, with its alignment
(an answer sentence is compared only with the passage sentence it clearly restates). Comparative markers are a
closed class of words, like the negation cues of polarity.py, not vocabulary of the corpus.
"""

from __future__ import annotations

import re

from guardrails.polarity import Contradiction, align, mark, passage_sentences, sentences
from guardrails.text import content_terms

# The words that put one thing on each side of a comparison ("A is faster than B", "A 比 B 快", "A 优于 B").
# 比 only where it compares: not in 比如/比较/比例/比特/对比/相比/无比…
_COMPARATIVE = re.compile(
    r"\bthan\b|(?<![对相无好])比(?![如较例特率分赛起方喻])|优于|劣于|不如|胜过|高于|低于|大于|小于|多于|少于|强于|弱于|快于|慢于",
    re.IGNORECASE,
)


def _sides(sentence: str) -> tuple[set[str], set[str]] | None:
    """Content terms before and after the sentence's first comparative marker; None without one."""
    m = _COMPARATIVE.search(sentence)
    return (content_terms(sentence[: m.start()]), content_terms(sentence[m.end() :])) if m else None


def swapped_comparisons(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer sentences that compare the same things as the passage sentence they restate, the other way round:
    terms only on the left of the comparison in one are only on its right in the other, in both directions."""
    found: list[Contradiction] = []
    comparing = [m for m in passage_sentences(support) if _COMPARATIVE.search(m.text)]
    for raw in sentences(answer):
        ours = _sides(raw)
        aligned = align(mark(raw), comparing) if ours is not None else None
        if ours is None or aligned is None or aligned[1] < min_alignment:
            continue
        theirs = _sides(aligned[0].text)
        assert theirs is not None  # every candidate has a marker
        (a_left, a_right), (p_left, p_right) = ours, theirs
        to_right = (a_left - a_right) & (p_right - p_left)
        to_left = (a_right - a_left) & (p_left - p_right)
        if to_right and to_left:
            found.append(Contradiction(raw, aligned[0].text, "order", (*sorted(to_right), *sorted(to_left))))
    return found
