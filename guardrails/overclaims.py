"""Claims that state without exception what the passage sentence they restate hedges: the passage says "usually" /
"通常" / "often", the answer "always" / "一定" / "any" / "never". Overlap and similarity pass it (the words are the
passage's) and nothing is negated or renumbered.

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py, with its alignment
(an answer sentence is compared only with the passage sentence it clearly restates); its hedges and absolutes are
read by crosslingual.py too. Both are closed classes of words, like the negation cues of marking.py, not
vocabulary of the corpus.
"""

from __future__ import annotations

import re

from guardrails.alignment import Contradiction, align
from guardrails.marking import mark, passage_sentences
from guardrails.sentences import sentences

# A hedge limits how widely a sentence holds ("usually", "often", "通常", "一般"); an absolute says it holds without
# exception ("always", "never", "any", "一定", "任何", "所有"). Both are closed classes of words.
_HEDGE = re.compile(
    r"(?<!at\s)(?<!the\s)\bmost\b|\b(?:usually|often|typically|generally|mostly|most\s+of|in\s+most|some|sometimes|may|might|rarely|seldom|likely|"
    r"frequently|not\s+always|not\s+necessarily|tends?\s+to)\b"
    r"|通常|一般|往往|大多|多数|大部分|部分|有时|可能|基本上|很少|较少|不一定|未必|不大|不太|多半|大致|大体",
    re.IGNORECASE,
)
_ABSOLUTE = re.compile(
    r"\b(?:always|never|all|every|any|none|guaranteed|invariably|definitely|certainly|regardless|whatever|whichever)\b"
    # 一定 says "certainly", not in 一定数量/一定程度 ("a certain number", "to some degree"), which is itself a hedge.
    r"|一定(?!数|量|程度|范围|比例|时间|规模|限度|的)|总是|始终|永远|从不|从来|任何|所有|全部|一律|绝对|必然|必定|肯定|无论|不管|毫无例外",
    re.IGNORECASE,
)


HEDGE = _HEDGE  # the hedges, for crosslingual.py


def absolutes(text: str) -> set[str]:
    """The words of `text` that state without exception (always, never, any, 一定, 所有…), lower-cased."""
    return {m.group().lower() for m in _ABSOLUTE.finditer(text)}


def hedges(text: str) -> set[str]:
    """The words of `text` that limit how widely it holds (usually, often, 通常, 不大…), lower-cased."""
    return {m.group().lower() for m in _HEDGE.finditer(text)}


def overgeneralized(answer: str, support: str, *, min_alignment: float, min_tokens: int) -> list[Contradiction]:
    """Answer sentences that state without exception what the passage sentence they restate hedges: the sentence
    says "usually" / "通常" / "often", the answer drops every hedge and says "always" / "一定" / "any" / "never"
    where the sentence does not. Evidence: the answer's absolutes, then the sentence's hedges."""
    found: list[Contradiction] = []
    passage = passage_sentences(support)
    for raw in sentences(answer):
        absolutes = {m.group().lower() for m in _ABSOLUTE.finditer(raw)}
        claim = mark(raw) if absolutes and not _HEDGE.search(raw) else None
        aligned = align(claim, passage) if claim is not None and len(claim.tokens) >= min_tokens else None
        if aligned is None or aligned[1] < min_alignment:
            continue
        target = aligned[0].text
        hedges = sorted({m.group().lower() for m in _HEDGE.finditer(target)})
        added = sorted(absolutes - {m.group().lower() for m in _ABSOLUTE.finditer(target)})
        if hedges and added:
            found.append(Contradiction(raw, target, "general", (*added, *hedges)))
    return found
