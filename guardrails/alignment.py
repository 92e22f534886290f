"""Each answer sentence aligned with the passage unit it restates, and what a contradiction found between them is.

Pure policy layer (stdlib), read by the grounding guardrail's contradiction checks (polarity.py, opposites.py,
modals.py, values.py, overclaims.py, claims.py…). Token overlap and the similarity signal only see that an answer
uses the passage's words; those checks look at *how* it uses them (marking.py marks what each unit negates and
states), but only against the sentence an answer sentence is clearly about (most of its content words are in it):
`align` and `restated` find that sentence. Looking at the whole passage instead blocks correct paraphrases over
words the passage negates somewhere else. An acronym the passage never writes is read as the passage's words it
abbreviates ("OS" for "operating system") when aligning (acronyms.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from guardrails.acronyms import spelled_out
from guardrails.marking import Marked, mark, passage_sentences
from guardrails.sentences import sentences


@dataclass(frozen=True)
class Contradiction:
    """An answer sentence or clause, the passage unit it restates and contradicts, and how: every check's finding."""

    claim: str
    sentence: str
    kind: str  # "polarity" | "affirmed" | "scope" | "number" (polarity.py); the other checks' in grounding_checks.py
    terms: tuple[str, ...]  # the flipped terms, the numbers (answer's, then the sentence's), or the swapped terms


def align(claim: Marked, passage: Sequence[Marked]) -> tuple[Marked, float] | None:
    """The passage unit sharing the most content tokens with the claim, and how clearly the claim restates
    it: the shared share of the shorter of the two (a long answer sentence may restate a short passage
    sentence, and a short claim a long one). None when they share fewer than two tokens."""
    if not claim.tokens or not passage:
        return None
    best = max(passage, key=lambda s: len(claim.tokens & s.tokens))
    shared = len(claim.tokens & best.tokens)
    return (best, shared / min(len(claim.tokens), len(best.tokens))) if shared >= 2 else None


def restated(answer: str, support: str, *, min_alignment: float, min_tokens: int) -> Iterator[tuple[str, Marked, Marked]]:
    """(answer sentence, its marks, the passage sentence it restates) for each answer sentence of at least
    `min_tokens` content tokens that shares `min_alignment` of them with its best-aligned passage sentence: the
    pairs every same-language contradiction check compares (polarity, numbers, opposites.py)."""
    passage = passage_sentences(support)
    for raw in sentences(answer):
        claim = mark(spelled_out(raw, support))
        aligned = align(claim, passage) if len(claim.tokens) >= min_tokens else None
        if aligned is not None and aligned[1] >= min_alignment:
            yield raw, claim, aligned[0]
