"""Claims that restate a passage sentence's relation with its two things the other way round: the passage says
"Open WebUI calls Ollama", the answer "Ollama calls Open WebUI". Overlap and similarity pass it (the words are the
passage's) and nothing is negated or renumbered.

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py, with its alignment
(an answer sentence is compared only with the passage sentence it clearly restates). Relation words are a closed
class of words, like the comparative markers of sides.py, not vocabulary of the corpus.
"""

from __future__ import annotations

import re

from guardrails.alignment import Contradiction, align
from guardrails.clause_bounds import CLAUSE_END
from guardrails.marking import mark, passage_sentences
from guardrails.sentences import sentences
from guardrails.sides import COMPARATIVE, PASSIVE
from guardrails.text import content_terms

# The words that relate one thing to another in a direction ("A uses B", "A 调用 B"): the same words with the two
# things the other way round state another relation. A closed class, like the comparative markers of sides.py. A
# passive (by / 被 / 由) or a sentence asking which way round names its things the other way on purpose.
_RELATION = re.compile(
    r"\b(?:us(?:e|es|ed|ing)|call(?:s|ed|ing)?|depend(?:s|ed|ing)?\s+on|contain(?:s|ed|ing)?|replac(?:e|es|ed|ing)|"
    r"send(?:s|ing)?|sent|forward(?:s|ed|ing)?|wrap(?:s|ped|ping)?|extend(?:s|ed|ing)?|inherit(?:s|ed|ing)?|"
    r"run(?:s|ning)?\s+(?:on|inside|in)|connect(?:s|ed|ing)?\s+to|point(?:s|ed|ing)?\s+to)\b"
    r"|调用|依赖|包含|取代|替代|替换|转发|发送给|发给|传给|连接到|连到|指向|基于|继承|封装|运行在|跑在",
    re.IGNORECASE,
)


def _clause_of(sentence: str, at: re.Match[str]) -> tuple[str, str] | None:
    """The text of the relation word's clause before it and after it; None in a passive clause (by / 被 / 由)."""
    start = max((m.end() for m in CLAUSE_END.finditer(sentence, 0, at.start())), default=0)
    end = next((m.start() for m in CLAUSE_END.finditer(sentence, at.end())), len(sentence))
    before, after = sentence[start : at.start()], sentence[at.end() : end]
    return None if PASSIVE.search(before) or PASSIVE.search(after) else (before, after)


def swapped_relations(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer sentences that use the relation word of the passage sentence they restate with its two things the
    other way round, within the word's clause: a shared term before the word in one is after it in the other,
    and one the other way too. A passive clause names its things the other way on purpose and is left out."""
    found: list[Contradiction] = []
    relating = [m for m in passage_sentences(support) if _RELATION.search(m.text)]
    for raw in sentences(answer):
        ours = _RELATION.search(raw)
        mine = _clause_of(raw, ours) if ours is not None and not COMPARATIVE.search(raw) else None
        aligned = align(mark(raw), relating) if mine is not None else None
        if ours is None or mine is None or aligned is None or aligned[1] < min_alignment:
            continue
        target = aligned[0].text
        theirs = next((m for m in _RELATION.finditer(target) if m.group().lower() == ours.group().lower()), None)
        other = _clause_of(target, theirs) if theirs is not None and not COMPARATIVE.search(target) else None
        if other is None:
            continue  # another relation word, a comparison or a passive: nothing to compare the sides of
        (a_before, a_after), (p_before, p_after) = (tuple(map(content_terms, mine)), tuple(map(content_terms, other)))
        to_after = (a_before - a_after) & (p_after - p_before)
        to_before = (a_after - a_before) & (p_before - p_after)
        if to_after and to_before:
            found.append(Contradiction(raw, target, "relation", (ours.group(), *sorted(to_after), *sorted(to_before))))
    return found
