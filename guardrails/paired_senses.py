"""Answers that say of each of two opposites what the passage says of the other: "块太大会丢失上下文，块太小会混入无关
内容" against "块太大，混入大量无关内容；块太小，又会丢失上下文".

Pure policy layer (stdlib), used by the grounding guardrail beside opposites.py. The opposites are the pairs of the
bilingual lexicon (opposites_lexicon.py); a unit (a passage line or a sentence) that names both senses of a pair
once each says something of each, and an answer unit naming both says it of the other.
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.alignment import Contradiction
from guardrails.clause_bounds import RELATION_HALVES
from guardrails.opposites_lexicon import OPPOSITES, Opposite, senses_in
from guardrails.text import content_terms

# The units two senses are paired in: a passage line ("块太大，混入无关内容；块太小，丢失上下文") or sentence.
_UNIT_END = re.compile(r"[。！？!?\n]|(?<=\.)\s")


def _relation_lead(pair: Opposite, unit: str) -> bool | None:
    """Whether the first of the pair's two senses a unit names is its first sense, when the unit ties the two into
    one relation with nothing parting them ("lower values give more conservative text"); None otherwise."""
    found = senses_in(pair, unit)
    if len(found) != 2 or found[0][0] == found[1][0] or RELATION_HALVES.search(unit, found[0][1].end(), found[1][1].start()):
        return None
    return found[0][0]


def _sense_segments(pair: Opposite, unit: str) -> tuple[set[str], set[str]] | None:
    """The content terms a unit says of each sense of the pair: from the sense's word to the other's (or the unit's
    end). None unless the unit names each sense exactly once."""
    found = senses_in(pair, unit)
    if len(found) != 2 or found[0][0] == found[1][0]:
        return None
    (first_is_one, first), (_, second) = found
    ahead, behind = content_terms(unit[first.end() : second.start()]), content_terms(unit[second.end() :])
    return (ahead, behind) if first_is_one else (behind, ahead)


@lru_cache(maxsize=1024)
def _paired_units(support: str) -> dict[str, tuple[tuple[str, tuple[set[str], set[str]]], ...]]:
    """The passage units naming both senses of a pair once each, by pair name, with what they say of each (memoised:
    the same passages come back answer after answer; callers only read the result)."""
    units = [u for u in _UNIT_END.split(support) if u.strip()]
    found: dict[str, tuple[tuple[str, tuple[set[str], set[str]]], ...]] = {}
    for pair in OPPOSITES:
        segments = [(unit, seg) for unit in units if (seg := _sense_segments(pair, unit)) is not None]
        if segments:
            found[pair.name] = tuple(segments)
    return found


def swapped_senses(answer: str, support: str) -> list[Contradiction]:
    """Answer units that name both senses of a pair and say of each what a passage unit naming both says of the
    other: "块太大会丢失上下文，块太小会混入无关内容" against "块太大，混入大量无关内容；块太小，又会丢失上下文", "top-k too
    small crowds the context, too large misses the answer". One relation with every sense turned ("higher values give
    less conservative text" for "lower values give more conservative text") restates it, as opposites.py reads it.
    Terms both passage sides share do not count; each swapped side must carry more terms of the other's than of its
    own, three at least between them. Evidence: the pair's name and the terms."""
    found: list[Contradiction] = []
    paired = _paired_units(support)
    if not paired:
        return found
    for raw in (u for u in _UNIT_END.split(answer) if u.strip()):
        for pair in OPPOSITES:
            ours = _sense_segments(pair, raw) if pair.name in paired else None
            if ours is None:
                continue
            lead = _relation_lead(pair, raw)
            for unit, theirs in paired[pair.name]:
                if lead is not None and _relation_lead(pair, unit) not in (None, lead):
                    continue  # "higher values give less conservative text": one relation, each sense turned
                common = theirs[0] & theirs[1]
                (a_one, a_other), (p_one, p_other) = ours, (theirs[0] - common, theirs[1] - common)
                crossed_one, crossed_other = a_one & p_other, a_other & p_one
                if (
                    min(len(crossed_one), len(crossed_other)) >= 1
                    and len(crossed_one) + len(crossed_other) >= 3
                    and len(crossed_one) > len(a_one & p_one)
                    and len(crossed_other) > len(a_other & p_other)
                ):
                    terms = (pair.name, *sorted(crossed_one | crossed_other))
                    found.append(Contradiction(raw.strip(), unit.strip(), "paired", terms))
                    break
    return found
