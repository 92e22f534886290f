"""A clause read as a sequence of units (a code span, a Latin word, a Chinese character), and the one slot where an
answer clause differs from the passage clause it is closest to as a sequence: what substitutions.py compares terms
in.

Pure policy layer (stdlib). Function words count as units but not as content: they may differ freely.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from guardrails.marking import passage_clauses
from guardrails.text import STOPCHARS_ZH, STOPWORDS_EN, is_cjk

_UNIT = re.compile(r"`[^`\n]+`|[A-Za-z0-9][\w.:/-]*[A-Za-z0-9_]|[A-Za-z0-9]|[\u3400-\u9fff\uf900-\ufaff]", re.ASCII)
_CANDIDATES = 4
# A clause of more units than this is not compared, nor is one whose nearest passage clauses hold one: a sequence
# match costs up to the cube of the length on repetitive text (one clause of 1,200 repeated units against passage
# clauses of 900 took 3.5 s), while a clause an answer restates is far shorter (45 units at most in the grounding
# sets and 31 in data/docs; 99% of CMRC passage clauses hold at most 43).
MAX_CLAUSE_UNITS = 64

Parts = tuple[tuple[str, tuple[str, ...]], ...]
"""A passage's clauses, each with its units."""


def units(clause: str) -> list[str]:
    """The clause's units in order: a code span, a Latin word (lowercased), a Chinese character. A code span of
    spaces alone (` `) is no unit."""
    return [bare for u in _UNIT.findall(clause) if (bare := _bare(u))]


def _stop(unit: str) -> bool:
    if is_cjk(unit[0]):
        return unit in STOPCHARS_ZH
    return unit.lower() in STOPWORDS_EN or unit.isdigit()


def content(units: list[str]) -> list[str]:
    """The units that are not function words (nor bare digits)."""
    return [u for u in units if not _stop(u)]


def weight(units: list[str]) -> int:
    """How much of a clause its content units are: a Latin word or code span holds about what two Chinese characters do."""
    return sum(1 if is_cjk(u[0]) else 2 for u in content(units))


def _bare(unit: str) -> str:
    return unit.strip("`").strip().lower()


@lru_cache(maxsize=1024)
def passage_parts(support: str) -> Parts:
    """The passage's clauses with their units (memoised: the same passages come back). Table rows are left out: a
    row aligns with its header, not with a sentence."""
    return tuple((m.text, tuple(units(m.text))) for m in passage_clauses(support) if "|" not in m.text)


def closest(ours: list[str], parts: Parts) -> tuple[str, tuple[str, ...], SequenceMatcher[str]] | None:
    """The passage clause the answer clause is closest to as a sequence, among the few sharing most of its units (a
    set intersection is cheap, a sequence match is not, and a passage has many clauses), with the match of the two;
    None when one of the few is too long to compare (MAX_CLAUSE_UNITS)."""
    mine = set(content(ours))
    nearest = sorted(parts, key=lambda p: len(mine.intersection(p[1])), reverse=True)[:_CANDIDATES]
    if any(len(held) > MAX_CLAUSE_UNITS for _, held in nearest):
        return None
    matches = [(text, held, SequenceMatcher(None, list(held), ours, autojunk=False)) for text, held in nearest]
    return max(matches, key=lambda m: m[2].ratio())


def replaced_slot(
    ours: list[str], theirs: tuple[str, ...], matcher: SequenceMatcher[str]
) -> tuple[int, int, int, int, int] | None:
    """The one replaced slot between the passage clause's units and the answer clause's (its bounds in theirs, then
    in ours, then the content units the same), when everything else is the same but function words and what one
    side adds or leaves out. `matcher`: the match of the two (theirs against ours)."""
    replaced = []
    same = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            same += weight(ours[j1:j2])
        elif op == "replace" and (content(list(theirs[i1:i2])) or content(ours[j1:j2])):
            replaced.append((i1, i2, j1, j2))
    if len(replaced) != 1:
        return None
    return (*replaced[0], same)


def neighbours(units: tuple[str, ...] | list[str], start: int, end: int) -> tuple[str, str]:
    """The units either side of units[start:end]; "^" and "$" at the clause's edges."""
    return (units[start - 1] if start > 0 else "^", units[end] if end < len(units) else "$")


def same_slot(term: list[str], before_after: tuple[str, str], units: tuple[str, ...]) -> bool:
    """`term` occurs in `units` with the same unit before it or after it as `before_after` (the edges count)."""
    n = len(term)
    for at in range(len(units) - n + 1):
        if list(units[at : at + n]) == term:
            here = neighbours(units, at, at + n)
            if here[0] == before_after[0] or here[1] == before_after[1]:
                return True
    return False
