"""One pass over a question's units that answers, in constant time, what the gap checks ask of every position
(completeness_gaps.py, completeness_referents.py): a name before it, material after it, and the nouns and clause
openers an antecedent is looked for among.

Pure policy layer (stdlib only).
"""

from __future__ import annotations

from guardrails.completeness_lexicon import CLAUSE_WORDS, EXTRAPOSED
from guardrails.completeness_units import Unit

__all__ = ["NOUNS", "Scan", "clause_opener"]

_NAMED = ("anchor", "category")
NOUNS = ("anchor", "category", "placeholder")  # what a pronoun can take up as its antecedent
_QUOTES = '`"“「『'
_LINE_BREAKS = (":", "：", "\n")


def _counts(flags: list[bool]) -> list[int]:
    """Prefix counts: `counts[i]` is how many of `flags[:i]` are set."""
    counts = [0]
    for flag in flags:
        counts.append(counts[-1] + flag)
    return counts


def _next(flags: list[bool]) -> list[int]:
    """`nxt[i]`: the first index at or after `i` whose flag is set (`len(flags)` if none), for i in 0..len."""
    nxt = [len(flags)] * (len(flags) + 1)
    for i in range(len(flags) - 1, -1, -1):
        nxt[i] = i if flags[i] else nxt[i + 1]
    return nxt


def _previous(flags: list[bool]) -> list[int]:
    """`prev[i]`: the last index before `i` whose flag is set (-1 if none), for i in 0..len."""
    prev = [-1]
    for i, flag in enumerate(flags):
        prev.append(i if flag else prev[-1])
    return prev


def clause_opener(unit: Unit, english: bool) -> bool:
    """A unit opening a clause, read backwards from a pronoun (see completeness_referents._antecedent)."""
    if unit.kind == "break" or unit.text in CLAUSE_WORDS:
        return True
    return english and len(unit.text) > 5 and unit.text.endswith("ing")  # a gerund opens a clause of its own


class Scan:
    """What find_gaps asks of every position of a question, read in one pass over its units: each look-up from a
    reference ("a name before it?", "words after a colon after it?", "an antecedent?") is then a constant-time
    read, where reading the units again from every reference grew with the square of the question (8 s for
    8,000 pronouns once `max_chars` is raised)."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self.named = _counts([u.kind in _NAMED for u in units])
        self.any_anchor = any(u.kind == "anchor" for u in units)
        self.quoted = _counts([u.kind == "anchor" and u.text[:1] in _QUOTES for u in units])
        self.next_line_break = _next([u.kind == "break" and u.text in _LINE_BREAKS for u in units])
        self.last_word = max((j for j, u in enumerate(units) if u.kind != "break"), default=-1)
        # _antecedent, backwards: nouns not opening a clause, and the clause openers (English: gerunds too)
        self.noun_zh = _counts([u.kind in NOUNS and not clause_opener(u, False) for u in units])
        self.noun_en = _counts([u.kind in NOUNS and not clause_opener(u, True) for u in units])
        self.opener_en = _previous([clause_opener(u, True) for u in units])
        # _antecedent, forwards: where a clause ends, or (English) opens after "it"; names not opening one
        self.next_break = _next([u.kind == "break" for u in units])
        self.next_turn_en = _next([u.kind == "break" or u.text in EXTRAPOSED or u.text in ("is", "was") for u in units])
        self.named_en = _counts([u.kind in _NAMED and u.text not in EXTRAPOSED for u in units])

    def anchor_before(self, index: int) -> bool:
        """A name or topic word in `units[:index]`."""
        return self.named[index] > 0

    def anchor_outside(self, start: int, end: int) -> bool:
        """A name or topic word outside `units[start:end]`."""
        return self.named[start] + self.named[-1] - self.named[end] > 0

    def material_after(self, index: int) -> bool:
        """Supplied material after position `index` (-1: anywhere): quoted text or code, or words after a colon or
        newline."""
        start = index + 1
        if self.quoted[-1] - self.quoted[start] > 0:
            return True
        # a colon or newline before the last unit that is not a break
        return self.last_word >= start and self.next_line_break[start] < self.last_word
