"""Claims that restate a passage sentence with one word turned into its opposite: "macOS 默认允许 GPU 使用全部内存"
against "只允许 GPU 使用总内存的一部分", "deletes the model" against "keeps the model", "增加" against "减少", "before"
against "after", "at least" against "at most", "from memory" against "from disk".

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py and comparisons.py, with
their alignment: an answer sentence is compared only with the passage sentence it clearly restates. Of the words
where the two differ, it looks for a pair of opposite senses from a small bilingual lexicon (opposites_lexicon.py):
the answer uses one sense and not the other, the restated sentence the other and not the first, and both are negated alike (so "不会删除" restates
"保留" and "not slower" restates "faster"). A sentence that names both senses ("增加 A 会减少 B") decides nothing.
For the words that order two things (faster/slower than, before/after), the restated terms must keep their sides:
"Q4 is faster than Q8" restates "Q8 is slower than Q4", "Q4 比 Q8 更快" restates "Q8 比 Q4 更慢" (sides are read around
the comparative marker than / 比 when the word's clause has one, else around the word). Before/after is read as a
relation (relation_order.py): "A, and after that B" and "After A, B" restate "A before B"; "B, and after that A" turns it.
"""

from __future__ import annotations

import re

from guardrails.alignment import Contradiction, restated
from guardrails.clause_bounds import CLAUSE_END
from guardrails.marking import NEGATION
from guardrails.opposites_lexicon import OPPOSITES, Opposite, senses_in
from guardrails.relation_order import converse, relation_sides
from guardrails.sides import COMPARATIVE, comparison_sides
from guardrails.text import content_terms


def _negated(sentence: str, at: int) -> bool:
    """A negation cue before position `at` in its clause ("不会删除", "does not keep")."""
    start = max((m.end() for m in CLAUSE_END.finditer(sentence, 0, at)), default=0)
    return NEGATION.search(sentence, start, at) is not None


def _clause_span(sentence: str, at: re.Match[str]) -> tuple[int, int]:
    """Where the clause of `sentence` that holds the match starts and ends."""
    start = max((m.end() for m in CLAUSE_END.finditer(sentence, 0, at.start())), default=0)
    end = next((m.start() for m in CLAUSE_END.finditer(sentence, at.end())), len(sentence))
    return start, end


def _clause(sentence: str, at: re.Match[str]) -> str:
    """The clause of `sentence` that holds the match."""
    start, end = _clause_span(sentence, at)
    return sentence[start:end]


def _sides(sentence: str, at: re.Match[str]) -> tuple[set[str], set[str]]:
    """The two things an ordering word puts apart: around the comparative marker of its clause ("A 比 B 更快" has
    both A and B before 更快); in a clause that goes on from a comparison without naming sides of its own ("A 比 B 大，
    因此加载更慢": A loads slower), around the marker of the clause before; else around the word itself ("A before B")."""
    start, end = _clause_span(sentence, at)
    own = comparison_sides(sentence[start:end])
    if own is not None:
        return own
    before = [m for m in COMPARATIVE.finditer(sentence, 0, start)][-1:]
    names_both = content_terms(sentence[start : at.start()]) and content_terms(sentence[at.end() : end])
    if before and not names_both:  # "因此加载更慢" names nothing after the word: it goes on from the comparison before
        return comparison_sides(_clause(sentence, before[0])) or (set(), set())
    return content_terms(sentence[: at.start()]), content_terms(sentence[at.end() :])


def _relation_sides(sentence: str, at: re.Match[str]) -> tuple[set[str], set[str]]:
    """The two things a relational word ("before", 之后) orders, in order of mention (relation_order.py)."""
    a, b, c, d = relation_sides(sentence, at)
    return content_terms(sentence[a:b]), content_terms(sentence[c:d])


def _swapped(claim: str, ours: re.Match[str], target: str, theirs: re.Match[str], *, relational: bool = False) -> bool:
    """Terms that sit on one side of the claim's ordering word and on the other side of the sentence's."""
    sides = _relation_sides if relational else _sides
    (a_left, a_right), (p_left, p_right) = sides(claim, ours), sides(target, theirs)
    return bool(((a_left - a_right) & (p_right - p_left)) or ((a_right - a_left) & (p_left - p_right)))


def _reversed(claim: str, ours: re.Match[str], target: str, theirs: re.Match[str]) -> bool:
    """A relation told with its sense kept and its two things swapped ("B, and after that A" for "A before B"):
    each side of the claim shares a term with the other side of the sentence, or one does and neither shares one
    with the same side (the other thing told in other words)."""
    (a_left, a_right), (p_left, p_right) = _relation_sides(claim, ours), _relation_sides(target, theirs)
    crossed = ((a_left - a_right) & (p_right - p_left), (a_right - a_left) & (p_left - p_right))
    kept = ((a_left - a_right) & (p_left - p_right)) | ((a_right - a_left) & (p_right - p_left))
    return all(crossed) or (any(crossed) and not kept)


def _read(pair: Opposite, text: str) -> list[tuple[bool, re.Match[str]]]:
    """The pair's forms in `text`; a relational pair's sense says whether the thing named first comes first ("A
    before B" and "A, and after that B" alike)."""
    found = senses_in(pair, text)
    return [(sense != converse(text, m), m) for sense, m in found] if pair.relational else found


def _rotated(ours: list[bool], theirs: list[bool]) -> bool:
    """The claim names the senses of the pair in the sentence's order, begun at another of its parallel halves (more
    than two forms: "higher … more, lower … less" told as "lower … less, higher … more")."""
    size = len(theirs)
    return size > 2 and ours != theirs and any(ours == theirs[k:] + theirs[:k] for k in range(1, size))


def turned(pair: Opposite, claim: str, target: str) -> tuple[re.Match[str], re.Match[str]] | None:
    """The claim's form and the sentence's opposite form when the claim turns the sentence's sense of the pair,
    negated alike; None otherwise. One sense on each side: it differs. Several ("lower values give more
    conservative text"): as many on each side, some turned and some not (turning all of them, "higher values give
    less conservative text", restates a correlation)."""
    ours, theirs = _read(pair, claim), _read(pair, target)
    if not ours or not theirs:
        return None
    if len(ours) == len(theirs) > 1:
        if _rotated([s for s, _ in ours], [s for s, _ in theirs]):
            return None  # "lower values give focused text and higher values varied text": the two halves in turn
        pairs = [(a, b) for a, b in zip(ours, theirs, strict=True) if a[0] != b[0]]
        if not pairs or len(pairs) == len(ours):
            return None
    elif len({s for s, _ in ours}) == 1 and len({s for s, _ in theirs}) == 1 and ours[0][0] != theirs[0][0]:
        pairs = [(ours[0], theirs[0])]
    elif pair.relational and len(ours) == len(theirs) == 1:  # the same sense: a contradiction if the sides swap
        mine, other = ours[0][1], theirs[0][1]
        same_negation = _negated(claim, mine.start()) == _negated(target, other.start())
        return (mine, other) if same_negation and _reversed(claim, mine, target, other) else None
    else:
        return None
    (_, mine), (_, other) = pairs[0]
    if _negated(claim, mine.start()) != _negated(target, other.start()):
        return None  # "不会删除" restates "保留"
    if pair.ordering and _swapped(claim, mine, target, other, relational=pair.relational):
        return None  # "Q8 is slower than Q4" restates "Q4 is faster than Q8", "Q8 比 Q4 更慢" restates "Q4 比 Q8 更快"
    return mine, other


def opposite_terms(answer: str, support: str, *, min_alignment: float, min_tokens: int) -> list[Contradiction]:
    """Answer sentences that turn a word of the passage sentence they restate into its opposite: evidence is the
    pair's name, the answer's form and the sentence's form."""
    found: list[Contradiction] = []
    for raw, _, sentence in restated(answer, support, min_alignment=min_alignment, min_tokens=min_tokens):
        target = sentence.text
        for pair in OPPOSITES:
            forms = turned(pair, raw, target)
            if forms is not None:
                found.append(Contradiction(raw, target, "opposite", (pair.name, forms[0].group(), forms[1].group())))
    return found
