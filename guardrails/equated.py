"""Claims that two things the passage ranks are alike: "单通道和双通道内存速度差不多" where the passage says
"双通道内存比单通道快得多", "Q4 and Q8 give about the same quality" where it says "Q8 is much better than Q4".

Pure policy layer (stdlib), a grounding contradiction check. Every word of such an answer is the passage's (overlap
and similarity pass it), it negates nothing (the polarity check sees no flip) and it orders nothing (the order check
compares two comparisons, and the answer makes none). A passage clause compares two sides: the words before its
marker (than, 比, 优于, 不如…) and the words after it. An answer clause that names both sides (a word only the left
side has and a word only the right side has) and calls them alike (差不多, 一样, about the same, no difference…)
contradicts it, unless the passage itself calls them alike somewhere or only ranks them by a little (略, slightly).
"""

from __future__ import annotations

import re

from guardrails.alignment import Contradiction
from guardrails.marking import NEGATION
from guardrails.sentences import clauses, sentences
from guardrails.sides import COMPARATIVE
from guardrails.text import content_terms

# The comparison of two things is sides.COMPARATIVE's ("A is faster than B", "A 比 B 快", "A 优于 B", "A 不如 B"), but
# not a "than" a number follows ("more than 5 GB"): that measures one thing against a quantity and ranks no two.
_THAN_NUMBER = re.compile(r"than\s*\d", re.IGNORECASE)


def _ranking(text: str) -> re.Match[str] | None:
    """The first comparative marker of `text` that is not a "than" before a number."""
    return next((m for m in COMPARATIVE.finditer(text) if not _THAN_NUMBER.match(text, m.start())), None)


# Calling two things alike. A negated one is the opposite claim ("不一样", "not the same"): the phrases that hold
# their own negation (差别不大, no difference) are listed whole.
_ALIKE = re.compile(
    r"差不多|差别不大|区别不大|差距不大|相差不大|相差无几|没(?:有|什么)(?:区别|差别|差异|不同)|不相上下|(?<!不)(?:一样|相同|相当|相近|类似)"
    r"|\b(?:about|roughly|basically|much|more or less|pretty much)\s+the\s+same\b|(?<!not )\bthe\s+same\b"
    r"|\b(?:no|little|hardly any|not much|no real)\s+(?:real\s+)?difference\b|(?<!not )\b(?:similar|comparable|equally|on par)\b",
    re.IGNORECASE,
)
# A passage ranking by a little leaves "about the same" true enough.
_SLIGHT = re.compile(r"略|稍|一点|些许|\b(?:slightly|a bit|a little|marginally|somewhat)\b", re.IGNORECASE)


def _sides(clause: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """The content terms only the left side and only the right side of a passage clause's ranking hold; None when
    the clause ranks nothing, ranks by a little, or negates its ranking."""
    marker = _ranking(clause)
    if marker is None or _SLIGHT.search(clause) or NEGATION.search(clause):
        return None
    left, right = content_terms(clause[: marker.start()]), content_terms(clause[marker.end() :])
    return frozenset(left - right), frozenset(right - left)


def equated_comparisons(answer: str, support: str) -> list[Contradiction]:
    """Answer clauses that call alike two sides the passage ranks (and never calls alike). Evidence: a word of
    each side."""
    ranked = [(c, sides) for s in sentences(support) for c in clauses(s) if (sides := _sides(c)) is not None]
    if not ranked:
        return []
    alike = [content_terms(s) for s in sentences(support) if _ALIKE.search(s)]
    found: list[Contradiction] = []
    for claim in clauses(answer):
        if not _ALIKE.search(claim) or _ranking(claim):
            continue
        terms = content_terms(claim)
        for clause, (left, right) in ranked:
            ours, theirs = sorted(terms & left), sorted(terms & right)
            if ours and theirs and not any(left & a and right & a for a in alike):
                found.append(Contradiction(claim, clause, "equated", (ours[0], theirs[0])))
                break
    return found
