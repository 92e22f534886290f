"""Claims that restate a passage sentence with a precedence or sequence turned round: "请求里的 keep_alive 优先级更高"
against "环境变量的优先级更高，会覆盖请求里的 keep_alive"; "first A, then B" against "first B, then A". Overlap and
similarity pass it (the words are the passage's) and nothing is negated or renumbered.

A passage can also rank things in a list under a heading that names the ranking (guardrails/ranked_lists.py).

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py, with its alignment (an
answer sentence is compared only with the passage sentence it clearly restates, or a list item it names by two
of the item's own terms). Ordering words are a closed class, like the comparative markers of sides.py.
"""

from __future__ import annotations

import re

from guardrails.alignment import Contradiction, align
from guardrails.clause_bounds import CLAUSE_END
from guardrails.marking import mark, passage_sentences
from guardrails.ranked_lists import against_rankings
from guardrails.sentences import sentences
from guardrails.sides import COMPARATIVE, PASSIVE
from guardrails.text import content_terms

# Words that put one thing first and another second: precedence ("A overrides B", "A takes precedence over B",
# "A has higher priority", "A 覆盖 B", "A 优先于 B", "A 的优先级更高") and sequence ("first A, then B", "先 A 再 B", "A 然后 B", "A before B"):
# the thing before the word wins or comes first. After "after" the thing after it comes first ("B after A"). A closed
# class, like the comparative words of sides.py and the relation words of relations.py. 再 counts only after a 先
# ("先…再…"): alone it is "again".
_FIRST_LEFT = re.compile(
    r"\boverrid(?:e|es|ing)\b|\boverrode\b|\b(?:takes?|taking|took)\s+(?:precedence|priority)\s+over\b|\bprecedes?\b"
    r"|\b(?:has|have|having|gets?)\s+(?:a\s+|the\s+)?(?:higher|highest|top)\s+priority\b"
    r"|\bthen\b|\bfollowed\s+by\b|\bbefore\b|覆盖|优先于|先于|优先级(?:更高|最高|高于)|然后|随后|接着",
    re.IGNORECASE,
)
_THEN_ZH = re.compile(r"(?<=先)[^。；;!?！？]*?(再)(?![次也])")
_FIRST_RIGHT = re.compile(r"\bafter\b", re.IGNORECASE)
# A passive names the winner after the word ("B is overridden by A", "B 被 A 覆盖"): its clause is left out.
_PRECEDENCE_WORD = re.compile(r"overrid|overrode|precedence|priority|覆盖|优先", re.IGNORECASE)


def _order_words(sentence: str) -> list[tuple[int, int, bool]]:
    """(start, end, whether the thing before it comes first) of each ordering word of a sentence."""
    found = [(m.start(), m.end(), True) for m in _FIRST_LEFT.finditer(sentence)]
    found += [(m.start(1), m.end(1), True) for m in _THEN_ZH.finditer(sentence)]
    found += [(m.start(), m.end(), False) for m in _FIRST_RIGHT.finditer(sentence)]
    return sorted(found)


def _ordered(sentence: str) -> tuple[set[str], set[str]] | None:
    """The content terms a sentence puts first and those it puts second; None without an ordering word. Before a
    first-left word comes everything from the sentence's start ("先 A，再 B", "A 的优先级更高，会覆盖 B"), after it the
    rest of its clause; a first-right word ("B after A") the other way round, within its clause."""
    first: set[str] = set()
    second: set[str] = set()
    words = _order_words(sentence)
    for start, stop, left_first in words:
        end = next((c.start() for c in CLAUSE_END.finditer(sentence, stop)), len(sentence))
        begin = max((c.end() for c in CLAUSE_END.finditer(sentence, 0, start)), default=0)
        if _PRECEDENCE_WORD.search(sentence[start:stop]) and PASSIVE.search(sentence[begin:end]):
            continue  # "B 被 A 覆盖", "B is overridden by A": the winner is named after the word
        after = content_terms(sentence[stop:end])
        if left_first:
            first |= content_terms(sentence[:start])
            second |= after
        else:
            first |= after
            second |= content_terms(sentence[begin:start])
    return (first, second) if first or second else None


def swapped_precedence(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer sentences that put second what the passage sentence they restate puts first: a term only on the
    passage sentence's first side is only on the answer's second side, and the passage's second side (when it
    names one) has a term only on the answer's first side. "环境变量的优先级更高，会覆盖请求里的字段" against "请求里的字段
    优先级更高"; "先检查防火墙，再确认服务" against "先确认服务，再检查防火墙". Comparisons are the order check's."""
    found: list[Contradiction] = []
    passage = passage_sentences(support)
    for raw in sentences(answer):
        ours = _ordered(raw) if not COMPARATIVE.search(raw) else None
        aligned = align(mark(raw), passage) if ours is not None else None
        if ours is None or aligned is None or aligned[1] < min_alignment or COMPARATIVE.search(aligned[0].text):
            continue
        theirs = _ordered(aligned[0].text)
        if theirs is None:
            continue
        (a_first, a_second), (p_first, p_second) = ours, theirs
        moved = (p_first - p_second) & (a_second - a_first)
        back = (p_second - p_first) & (a_first - a_second)
        if moved and (back or not p_second - p_first):
            found.append(Contradiction(raw, aligned[0].text, "precedence", (*sorted(moved), *sorted(back))))
    return found + against_rankings(answer, support)
