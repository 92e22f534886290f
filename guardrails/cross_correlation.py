"""A correlation told across languages: "The lower the parallel count, the less memory is needed" restates
"并行数越大，需要的上下文内存越多" (both halves turned: the same correlation told from its other end), while "the more
requests, the less memory" turns it (one half turned).

Pure policy layer (stdlib), read by crosslingual.py's opposite comparison, which compares one aligned clause pair at
a time: a correlation's two halves may fall into one clause ("Fewer requests need less memory") or two ("越大，…越多"),
and each half alone looks turned. Here the halves are read together, with opposites.py's `turned` (several senses on
each side: some turned is a contradiction, all turned a restated correlation): the clauses of the answer sentence
against the clauses of the passage sentence aligned with it, in every run of consecutive clauses around the aligned
pair that names a pair of opposites as often on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from guardrails.opposites import turned
from guardrails.opposites_lexicon import Opposite, senses_in
from guardrails.sentences import clauses

# An answer clause that ends its sentence keeps its full stop (the clause cut keeps "." and ":" before a space).
_ENDS_SENTENCE = re.compile(r"[.:]\s*$")
_JOIN = "，"  # a clause end for opposites.py (negation scope, sides) in either language


@dataclass(frozen=True)
class Told:
    """An answer clause among the clauses of its answer sentence that restate the same passage sentence."""

    claims: tuple[str, ...]
    at: int


def told_together(claims: Sequence[str]) -> list[Told]:
    """For each answer clause, the clauses of its answer sentence (its halves may align with different passage
    sentences: "The fewer requests" with a definition, "the less memory is needed" with the correlation). A Chinese
    full stop is cut off its clause: a Chinese answer's clauses run on, and every reading of them must agree."""
    cuts = [0] + [j + 1 for j in range(len(claims) - 1) if _ENDS_SENTENCE.search(claims[j])] + [len(claims)]
    return [Told(tuple(claims[a:b]), i - a) for a, b in pairwise(cuts) for i in range(a, b)]


Forms = tuple[re.Match[str], re.Match[str]]


@dataclass(frozen=True)
class Reading:
    """What the correlation around an aligned clause pair says: turned (in every reading of its halves) or told
    again; when turned, the answer's turned form and the passage's, if that answer form is in the aligned clause."""

    turned: bool
    forms: Forms | None = None


def _runs(parts: Sequence[str], at: int, pair: Opposite) -> list[tuple[int, str, range]]:
    """Runs of consecutive parts holding parts[at] that name the pair at least twice, each edge part naming it
    (or being parts[at]): how many forms, the run's text, and where parts[at] is in it."""
    counts = [len(senses_in(pair, part)) for part in parts]
    found: list[tuple[int, str, range]] = []
    for a in range(at + 1):
        for b in range(at, len(parts)):
            if (a == at or counts[a]) and (b == at or counts[b]) and sum(counts[a : b + 1]) > 1:
                start = sum(len(part) + len(_JOIN) for part in parts[a:at])
                found.append((sum(counts[a : b + 1]), _JOIN.join(parts[a : b + 1]), range(start, start + len(parts[at]))))
    return found


def read_correlation(pair: Opposite, told: Told, clause: str, sentence: str) -> Reading | None:
    """The answer's correlation of the pair's senses against the passage's, around the aligned clause pair: turned
    when every reading of the halves (runs of as many forms on both sides) turns some of them and not all; None
    when there is no such reading (one form on a side: the clause pair decides alone)."""
    passage = clauses(sentence)
    theirs = _runs(passage, passage.index(clause), pair) if clause in passage else _runs([clause], 0, pair)
    ours = _runs(told.claims, told.at, pair)
    compared = [(turned(pair, a, p), here) for n, a, here in ours for m, p, _ in theirs if n == m]
    if not compared:
        return None
    if not all(forms for forms, _ in compared):
        return Reading(turned=False)
    return Reading(True, next((forms for forms, here in compared if forms and forms[0].start() in here), None))
