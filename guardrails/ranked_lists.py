"""Ranked lists in a passage, and answer sentences that turn one round: a "precedence" finding.

A passage can rank things in a list under a heading that names the ranking ("From weakest to strongest:",
"优先级从低到高："): an answer having a listed thing override one ranked above it, or win while one ranks above it
("PARAMETER lines take precedence" where request options come last), turns the list round. No sentence check can
see it: the ranking is in the list's order, not in any one sentence. Used by guardrails/precedence.py.

Pure policy layer (stdlib). A list item is named by two of its own terms (ones no other item nor the heading has);
negated and passive clauses and questions say nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from guardrails.alignment import Contradiction
from guardrails.clause_bounds import CLAUSE_END
from guardrails.list_lines import plain_item
from guardrails.marking import NEGATION
from guardrails.sentences import sentences
from guardrails.sides import PASSIVE
from guardrails.text import content_terms

# A heading that ranks the list after it by strength or priority, upward (the last item wins) or downward; it must
# name what it ranks by (weakest, priority, 优先级…): "从低到高" alone can rank sizes.
_RANK_UP = re.compile(
    r"from\s+(?:the\s+)?(?:weakest|lowest|least)\b.*?\bto\s+(?:the\s+)?(?:strongest|highest|most)\b"
    r"|\b(?:increasing|ascending)\s+(?:order\s+of\s+)?(?:precedence|priority)|[从由](?:低|弱)到(?:高|强)",
    re.IGNORECASE,
)
_RANK_DOWN = re.compile(
    r"from\s+(?:the\s+)?(?:strongest|highest|most)\b.*?\bto\s+(?:the\s+)?(?:weakest|lowest|least)\b"
    r"|\b(?:decreasing|descending)\s+(?:order\s+of\s+)?(?:precedence|priority)|[从由](?:高|强)到(?:低|弱)",
    re.IGNORECASE,
)
_RANK_BY = re.compile(r"weak|strong|priorit|precedence|overrid|优先|强|弱|覆盖", re.IGNORECASE)
# The answer's words: one that beats the thing after it ("A overrides B"), one that wins over all ("A is the
# strongest", "A 的优先级最高") and one that wins over a thing it does not name ("A takes precedence", "A 优先级更高").
_BEATS = re.compile(
    r"\boverrid(?:e|es|ing)\b|\boverrode\b|\b(?:takes?|taking|took)\s+(?:precedence|priority)\s+over\b"
    r"|\b(?:has|have|having)\s+(?:a\s+)?higher\s+priority\s+than\b|覆盖|优先于|优先级高于",
    re.IGNORECASE,
)
_BEST = re.compile(r"\b(?:strongest|highest[-\s]priority)\b|优先级最高|最强", re.IGNORECASE)
_WINS = re.compile(r"\b(?:takes?|taking|took)\s+(?:precedence|priority)\b(?!\s+over)|优先级更高(?!于)", re.IGNORECASE)
MIN_OWN = 2  # terms of one ranked item, and of no other, that name it on the winning side


@dataclass(frozen=True)
class Ranked:
    strength: int  # higher wins
    text: str
    own: frozenset[str]  # its content terms no other item of its list (nor the heading) has


@lru_cache(maxsize=512)  # the passages come back answer after answer
def rankings(support: str) -> tuple[tuple[Ranked, ...], ...]:
    """The passage's ranked lists: the items under a heading line ending in a colon that ranks them by strength or
    priority, in the heading's direction."""
    lines = support.splitlines()
    found: list[tuple[Ranked, ...]] = []
    for i, line in enumerate(lines):
        head = line.strip().strip("*").strip()
        up, down = _RANK_UP.search(head), _RANK_DOWN.search(head)
        if not head.endswith((":", "：")) or not _RANK_BY.search(head) or bool(up) == bool(down):
            continue
        items: list[str] = []
        for nxt in lines[i + 1 :]:
            item = plain_item(nxt)  # a list's items are plain ones: a heading or quote ends it
            if item:
                items.append(item.body)
            elif nxt.strip():
                break  # the list ends at the first line that is not an item
        terms = [content_terms(t) for t in items]
        heading = content_terms(head)
        ranked = tuple(
            Ranked(k if up else -k, text, frozenset(t - heading - set().union(*(o for j, o in enumerate(terms) if j != k))))
            for k, (text, t) in enumerate(zip(items, terms, strict=True))
        )
        if len(ranked) >= 2:
            found.append(ranked)
    return tuple(found)


def _reversed(raw: str, ranked: tuple[Ranked, ...], named: set[str]) -> Contradiction | None:
    """A ranked item the sentence has beat another ranked above it; else, with no item beaten, one it has win over
    all while another ranks above it, or win over an unnamed one while the answer (`named`: its terms) names one
    ranked above it. Negated clauses and passives say nothing."""
    words = [(m, "beats") for m in _BEATS.finditer(raw)]
    words += [(m, "best") for m in _BEST.finditer(raw)] + [(m, "wins") for m in _WINS.finditer(raw)]
    found: list[tuple[Ranked, Ranked, set[str]]] = []
    for m, how in words:
        begin = max((c.end() for c in CLAUSE_END.finditer(raw, 0, m.start())), default=0)
        end = next((c.start() for c in CLAUSE_END.finditer(raw, m.end())), len(raw))
        if NEGATION.search(raw[begin:end]) or PASSIVE.search(raw[begin:end]):
            continue
        said = content_terms(raw[: m.start()])
        winners = [r for r in ranked if len(r.own & said) >= MIN_OWN]
        if len(winners) != 1:
            continue
        (win,) = winners
        lost = content_terms(raw[m.end() : end])
        losers = [r for r in ranked if r is not win and r.own & lost] if how == "beats" else []
        if how == "beats" and (not losers or all(r.strength < win.strength for r in losers)):
            if losers:
                return None  # the sentence ranks as the list does: its other words restate that
            continue
        above = [r for r in losers or ranked if r.strength > win.strength]
        if how == "wins":
            above = [r for r in above if len(r.own & named) >= MIN_OWN]
        if above:
            found.append((win, max(above, key=lambda r: r.strength), said))
    if not found:
        return None
    win, top, said = found[0]
    return Contradiction(raw, top.text, "precedence", (*sorted(win.own & said), *sorted(top.own)))


def against_rankings(answer: str, support: str) -> list[Contradiction]:
    """Answer sentences (not questions) that turn round a ranked list of the passage."""
    lists = rankings(support)
    found: list[Contradiction] = []
    named = content_terms(answer) if lists else set()
    for raw in sentences(answer) if lists else []:
        asked = raw.rstrip().endswith(("?", "？"))
        hit = next((c for r in lists if not asked and (c := _reversed(raw, r, named))), None)
        if hit:
            found.append(hit)
    return found
