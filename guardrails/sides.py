"""Where the two sides of a sentence's comparison or relation are: the comparative markers (than, 比, 优于…) with
the content terms before and after them, and the passive cues (by / 被 / 由) that name a clause's two things the other way round.

Pure policy layer (stdlib). Closed classes of words, like the negation cues of marking.py. Read by the checks that
compare an answer's sides with a passage's: opposites.py, comparisons.py, relations.py, precedence.py.
"""

from __future__ import annotations

import re

from guardrails.text import content_terms

# The words that put one thing on each side of a comparison ("A is faster than B", "A 比 B 快", "A 优于 B", "A 不如 B"):
# the one marker set of every check that reads a comparison's sides (opposites.py, comparisons.py, precedence.py,
# relations.py, equated.py). Not "rather than" / "other than" (they pick or exclude, and rank nothing), nor 比 in a
# word of its own (比如/比较/比例/比特/比率/比分/比赛/比起/比方/比喻/比对, 对比/相比/无比/好比).
COMPARATIVE = re.compile(
    r"(?<!rather )(?<!other )\bthan\b|(?<![对相无好])比(?![如较例特率分赛起方喻对])"
    r"|优于|劣于|好于|胜过|不如|高于|低于|大于|小于|多于|少于|强于|弱于|快于|慢于",
    re.IGNORECASE,
)


def comparison_sides(sentence: str) -> tuple[set[str], set[str]] | None:
    """Content terms before and after the sentence's first comparative marker; None without one."""
    m = COMPARATIVE.search(sentence)
    return (content_terms(sentence[: m.start()]), content_terms(sentence[m.end() :])) if m else None


# A passive names a clause's things the other way round on purpose ("B is overridden by A", "B 被 A 覆盖").
PASSIVE = re.compile(r"\bby\b|被|由", re.IGNORECASE)
