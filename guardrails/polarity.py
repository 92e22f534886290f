"""Claims that contradict the one sentence of the passage they restate: a flipped polarity (the passage says
"no built-in authentication", the answer "ships with built-in authentication"), "not all" told as "all" or "none",
or a swapped number (the sentence says 8 GB where the answer says 16 GB, while 16 occurs elsewhere in the passage).
Swapped comparisons are in guardrails/comparisons.py.

Pure policy layer (stdlib), used by the grounding guardrail (grounding_checks.py). The sentences and clauses an
answer restates, and what each negates and states plainly, are read by alignment.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import pairwise

from guardrails.alignment import Contradiction, align, restated
from guardrails.marking import NEGATION, Marked, mark, marked_numbers, passage_clauses, passage_mark
from guardrails.sentences import clauses, sentences

MIN_FLIPPED = 2
# An answer that opens with a reply word ("Yes, …", "可以，…", "需要，…") takes a stance on exactly the polarity of
# what it restates; one term it affirms that the restated sentence negates is then enough (see `lead_flips`).
_YES_LEAD = re.compile(
    r"^(?:yes|yeah|yep|sure|correct|indeed|是的|是|对|可以|会|能|有|需要|要)\s*[,，.。!！;；:：]", re.IGNORECASE
)
# A reply word that is a sentence of its own ("Yes. Passing a schema…", "可以。…") leads the sentence after it.
_BARE_YES = re.compile(r"(?:yes|yeah|yep|sure|correct|indeed|是的|是|对|可以|会|能|有|需要|要)\s*[.。!！]?", re.IGNORECASE)


def _compared(answer: str, support: str, *, min_alignment: float, min_tokens: int) -> Iterator[tuple[str, str, Marked, Marked]]:
    """(answer sentence, the part of it compared, its marks, the passage sentence that part restates): each answer
    sentence that restates a passage sentence; of one that restates none, each clause of it that restates one. An
    answer sentence that adds a clause of its own ("Ollama 自带登录认证，所以…对外开放也比较安全", "…, so it is safe to
    expose the port") shares too few of its tokens with the sentence its first clause restates."""
    for sentence in sentences(answer):
        pairs = list(restated(sentence, support, min_alignment=min_alignment, min_tokens=min_tokens))
        parts = clauses(sentence)
        if not pairs and len(parts) > 1:
            pairs = [p for part in parts for p in restated(part, support, min_alignment=min_alignment, min_tokens=min_tokens)]
        for raw, claim, target in pairs:
            yield sentence, raw, claim, target


def _yes_led(answer: str) -> set[str]:
    """The answer's sentences that open with a reply word, or follow one that is only a reply word ("Yes. …")."""
    told = sentences(answer)
    return {s for before, s in zip(["", *told], told, strict=False) if _YES_LEAD.match(s) or _BARE_YES.fullmatch(before)}


@lru_cache(maxsize=1024)
def _joined_clauses(support: str) -> tuple[Marked, ...]:
    """Each two neighbouring clauses of a passage sentence, as one unit: an answer clause may say in one what the
    passage says in two ("on a machine with 8 GB of RAM, Q4_K_M is the right choice for a 7B model"). The number check
    excuses a claim only when such a unit gives exactly the claim's numbers, so "13B 需要 32 GB" is still another number
    than "13B 模型需要 16 GB，30B 需要 32 GB" (which gives 16 and 30 too)."""
    joined: list[Marked] = []
    for sentence in sentences(support):
        parts = [c for c in clauses(sentence) if "|" not in c]
        joined += [passage_mark(f"{a}，{b}") for a, b in pairwise(parts)]
    return tuple(joined)


def _restated_elsewhere(claim: Marked, passage: Sequence[Marked]) -> bool:
    """A passage unit as closely aligned with the claim as the best one that gives every number of the claim."""
    best = max(len(claim.tokens & s.tokens) for s in passage)
    return any(len(claim.tokens & s.tokens) == best and claim.numbers <= s.numbers for s in passage)


def _merged(raw: str, answer: str, claim: Marked, target: Marked, passage: Sequence[Marked]) -> bool:
    """A clause that merges two statements of the passage: its sentence gives the restated clause's numbers in
    another clause ("Q8_0 has about 7.2 GB of weights, which leaves no room … on an 8 GB machine"), and each number
    it adds comes with a word of its own that a passage clause states plainly with that number ("on a machine with
    8 GB of RAM") and the restated clause lacks. "13B 需要 32 GB" against "13B 模型需要 16 GB，30B 需要 32 GB" is no
    merge, nor "12 GB 能容纳 13B 的 Q8 模型" against "12 GB 可以容纳 7B/8B 的 Q4 模型，而 13B 的 Q8 模型就放不下"."""
    told = next((s for s in sentences(answer) if raw in s), raw)
    if not target.numbers - claim.numbers <= set(marked_numbers(told)):
        return False
    own = claim.tokens - target.tokens
    return all(any(n in p.numbers and own & p.plain for p in passage) for n in claim.numbers - target.numbers)


def _flipped(claim: Marked, target: Marked) -> frozenset[str]:
    """Terms one side negates and the other states in a clause without any negation; none when the negation may
    not reach any of them (an item coordinated after the negated one, "停不下来或答非所问" against "停不下来，或者答非所问";
    what follows the noun of "no"/"without": marking.py): such a term flips a claim only beside a term the negation
    surely covers."""
    if _double_negation(claim, target) or _double_negation(target, claim):
        return frozenset()
    flipped = (target.negated & claim.plain - claim.negated) | (claim.negated & target.plain - target.negated)
    return flipped if flipped - claim.unsure - target.unsure else frozenset()


def _double_negation(one: Marked, other: Marked) -> bool:
    """`one` negates a word negated by its prefix that `other` states plainly without it: "never pass unvalidated
    output" says what "output must always be validated" says (while "you can pass unvalidated output" flips it)."""
    return any(t.startswith("un") and t[2:] in other.plain - other.negated for t in one.negated)


def _clause_flipped(claim: Marked, target: Marked, flipped: frozenset[str]) -> frozenset[str]:
    """`flipped`, unless every term of it is one the restated passage sentence both negates and states plainly ("If
    the model can do nothing except produce text, a successful injection can only produce bad text"): the sentence
    then gives those terms no one polarity, and the claim is compared with the clause of it that it restates (a list
    item often restates one clause of a sentence on its own: "- a successful injection can only produce bad text")."""
    if not flipped or not flipped <= target.negated & target.plain:
        return flipped
    aligned = align(claim, passage_clauses(target.text))
    return flipped if aligned is None else _flipped(claim, aligned[0])


def contradictions(
    answer: str, support: str, *, min_alignment: float, min_tokens: int, lead_flips: int = MIN_FLIPPED
) -> list[Contradiction]:
    """Answer sentences (or, of a sentence restating none, its clauses) that flip the polarity of, or swap a number
    of, the passage sentence they restate. `lead_flips`: flipped terms that suffice in a sentence opening with a yes,
    or following a yes that is a sentence of its own (and negating nothing itself)."""
    found: list[Contradiction] = []
    led = _yes_led(answer)
    for sentence, raw, claim, target in _compared(answer, support, min_alignment=min_alignment, min_tokens=min_tokens):
        # Terms one side negates and the other states in a clause without any negation. Two at least: one shared
        # word (or one Chinese character pair) can be a coincidence.
        # A term one sentence both negates and states plainly ("can do nothing except produce text, … can only produce
        # bad text") gives that sentence no polarity to flip.
        flipped = _clause_flipped(claim, target, _flipped(claim, target))
        if len(flipped) >= MIN_FLIPPED:
            found.append(Contradiction(raw, target.text, "polarity", tuple(sorted(flipped))))
        elif flipped and len(flipped) >= lead_flips and sentence in led and not NEGATION.search(sentence):
            found.append(Contradiction(raw, target.text, "affirmed", tuple(sorted(flipped))))
        # "not all do" against "all do" or "none do", either way round: the scope of the negation, not its words
        scoped = (claim.partial & target.total - target.partial) | (claim.total & target.partial - claim.partial)
        if len(scoped) >= MIN_FLIPPED and not flipped:
            found.append(Contradiction(raw, target.text, "scope", tuple(sorted(scoped))))
    # Table rows are left out: a row's words are in its header, so a claim aligns with the header, not the row.
    parts = [m for m in passage_clauses(support) if "|" not in m.text]
    for raw in clauses(answer):
        if not marked_numbers(raw):  # what mark() would find: no number, nothing to compare
            continue
        claim = mark(raw)
        aligned = align(claim, parts)
        if aligned is None or aligned[1] < min_alignment:
            continue
        target = aligned[0]
        if _restated_elsewhere(claim, parts):
            continue  # "about 1 GB per billion parameters" restates the Q8 line as well as it does the Q4 one
        shared = len(claim.tokens & target.tokens)
        if any(j.numbers == claim.numbers and len(claim.tokens & j.tokens) >= shared for j in _joined_clauses(support)):
            continue  # "on an 8 GB machine pick Q4 for a 7B model" joins "with 8 GB of RAM," and "Q4 … for a 7B model"
        # Both give a number the other lacks: the clause states another value for what the claim restates.
        ours, theirs = claim.numbers - target.numbers, target.numbers - claim.numbers
        if ours and theirs and not _merged(raw, answer, claim, target, parts):
            found.append(Contradiction(raw, target.text, "number", (*sorted(ours), *sorted(theirs))))
    return found
