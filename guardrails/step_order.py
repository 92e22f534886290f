"""Answers that tell the steps of a procedure in another order than the passage gives them: "restart the service,
then run daemon-reload" where the passage says to reload first; a numbered list with two steps swapped; "在 A 之前，
先 B" where the passage does A first. Each step keeps the passage's words, so overlap and similarity pass it, and a
step told in another sentence than the one it follows escapes the one-sentence precedence check (precedence.py).

Pure policy layer (stdlib), used by the grounding guardrail (grounding_checks.py). Both texts are read as sequences
of steps: the lines of a numbered list, and the pieces of a sentence (or of sentences) joined by sequence words, a
closed class like the ordering words of precedence.py: "first/then/next/finally/after that", "before" and "after",
先/再/然后/接着/随后/之后/最后, "在…之前". An answer step is matched to the one passage step of a sequence that holds
most of its content terms, one of them its own (no other step of the sequence holds it); the check fires when two
matched steps are in the opposite order. A numbered answer list that keeps the passage's order of mention passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guardrails.alignment import Contradiction
from guardrails.list_lines import read_line
from guardrails.sentences import sentences
from guardrails.sides import COMPARATIVE
from guardrails.text import content_terms

# A numbered line (list_lines.py): "1. ", "2) ", "3、", "**4.**", and a step label, "Step 5:", "第六步：", "6:", which
# numbers a step as a list number does; a bullet or a heading is no step (in an answer, grounding.py has already
# replaced a list number by a space: there, an indented line that is no bullet is a numbered one).
_STRIPPED = re.compile(r"^[ \t]+(?![-*+•\s])")
# Sequence words. KEEP: what follows comes after what precedes ("A, then B", "A 之后，B", "先 A 再 B"). BACK: what
# follows comes first ("B after A", "在 B 之前，A"). START: marks a sentence as a sequence, cuts nothing.
_KEEP = re.compile(
    r",?\s*\b(?:and\s+)?(?:then|after\s+that|afterwards|next|finally|followed\s+by)\b,?"
    r"|[，,]?\s*(?:然后|随后|接着|之后|以后|最后(?![一个的])|再(?![次也者说])|(?<=`)\s*后(?![台续端面])|(?<=[^\s最之以然随前落背而])后(?=再|即可|才|启动|重启|执行|运行|删除|重新))[，,]?"
    r"|\s*\bbefore\b",
    re.IGNORECASE,
)
_BACK = re.compile(
    r"\s*\bafter\b(?!\s+that)|之前[，,]?(?:要|应|需要|应该)?先?|[，,]\s*(?:需要|要|应|应该|必须|得)先(?![^。；]*(?:再|然后))",
    re.IGNORECASE,
)
_START = re.compile(r"^\s*(?:first(?:ly)?\b,?|首先[，,]?|先|第一步[，,：:]?)\s*", re.IGNORECASE)
# Within a sequence sentence, its clauses are told in order ("执行 A，写入 B，然后执行 C 和 D").
_CLAUSE = re.compile(r"[，,；;]\s*|(?<=`)\s*(?:和|及|以及|and)\s*(?=`)")
# "Before B, A" / "After A, B" at a sentence's start: the comma divides the two steps.
_LEAD = re.compile(r"^\s*(before|after)\s+(?:you\s+|it\s+)?([^,]{3,}?),\s*(.+)$", re.IGNORECASE)
# A sentence boundary the sentence splitter leaves in ("**Clarification before calling the model.** Detect …").
_LEAD_CUT = re.compile(r"(?<=[.!?])\*+\s+(?=[A-Z])")
# A clause that gives a reason or a purpose tells no step: "…, because the whole prompt is processed before …".
_REASON = re.compile(r"\s*(?:because|since|so\s+that|which|as\b|因为|由于|所以|以便|从而|否则)", re.IGNORECASE)
# Ranking words: "A is strongest, then B" ranks, it tells no steps.
_RANKING = re.compile(r"strong|weak|highest|lowest|priorit|preced|overrid|优先|覆盖|最高|最低|最强|最弱", re.IGNORECASE)
# A sentence that continues the sequence of the sentence before it.
_GOES_ON = re.compile(r"^\s*(?:then|next|finally|after\s+that|afterwards|然后|随后|接着|之后|最后|再)", re.IGNORECASE)
_MIN_SHARE = 0.5  # of an answer step's content terms, found in the passage step it is matched to
_MARGIN = 0.1  # by which that passage step fits the answer step better than any other


@dataclass(frozen=True)
class Step:
    text: str
    terms: frozenset[str]
    sentence: str  # the sentence or list line it is told in
    told: int  # its place in the order of mention (not of time) of its text


def _step(text: str, sentence: str, told: int) -> Step | None:
    text = text.strip(" ，,；;：:。.*-\t")
    terms = frozenset(content_terms(text))
    return Step(text, terms, sentence, told) if terms else None


def _sentence_steps(sentence: str) -> tuple[list[tuple[int, str]], bool]:
    """The steps of one sentence (each with its place of mention) in the order the sentence says they happen, and
    whether it holds a sequence word. A ranking ("strongest, then …") is no sequence of steps (precedence.py's)."""
    body = _START.sub("", sentence)
    started = body != sentence
    if _RANKING.search(body) or COMPARATIVE.search(body):
        return [(0, body)], False
    lead = _LEAD.match(body)
    if lead:
        before = lead[1].lower() == "before"
        return ([(1, lead[3]), (0, lead[2])] if before else [(0, lead[2]), (1, lead[3])]), True
    cuts = sorted(
        [(m.start(), m.end(), True) for m in _KEEP.finditer(body)] + [(m.start(), m.end(), False) for m in _BACK.finditer(body)]
    )
    if not cuts:
        return [(0, body)], started
    groups: list[list[tuple[int, str]]] = []
    at, keep_prev, told = 0, True, 0
    for start, end, keep in [*cuts, (len(body), len(body), True)]:
        if start < at:
            continue
        group = [
            (told + i, c) for i, c in enumerate(c for c in _CLAUSE.split(body[at:start]) if c.strip() and not _REASON.match(c))
        ]
        told += len(group)
        groups = [*groups, group] if keep_prev else [*groups[:-1], group, *groups[-1:]]
        at, keep_prev = end, keep
    return [clause for group in groups for clause in group], True


def sequences(text: str, *, loose: bool = False) -> list[list[Step]]:
    """The ordered step sequences of a text: each numbered list (its lines one after another; `loose`, as in an
    answer, blank lines between them too), and each run of sentences joined by sequence words (a sentence with
    none is no sequence). A list's steps have no place of mention (-1): its order is the order it claims."""
    found: list[list[Step]] = []
    listed: list[Step] = []
    chain: list[Step] = []
    fence, told = False, 0
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            fence = not fence
        at = None if fence else _step_start(line, loose)
        if at is not None:
            step = _step(line[at:], line.strip(), -1)
            listed += [step] if step else []
            chain = _flush(found, chain)
        elif fence or line.strip() or not loose:
            listed = _flush(found, listed)
        if fence:
            continue
        for sentence in (p for s in sentences(line[at:] if at is not None else line) for p in _LEAD_CUT.split(s)):
            pieces, ordered = _sentence_steps(sentence)
            steps = [s for s in (_step(p, sentence, told + k) for k, p in pieces) if s]
            told += len(pieces)
            if not ordered:
                chain = _flush(found, chain)
            elif _GOES_ON.match(sentence) and chain:
                chain += steps
            else:
                chain = _flush(found, chain) + steps
        chain = _flush(found, chain) if at is not None else chain
    _flush(found, chain)
    _flush(found, listed)
    return found


def _step_start(line: str, loose: bool) -> int | None:
    """Where the step of a numbered line starts (`loose`: an indented line that is no bullet is numbered too)."""
    item = read_line(line)
    if item is not None and item.kind in ("number", "label") and not item.frame:
        return item.start
    stripped = _STRIPPED.match(line) if loose else None
    return stripped.end() if stripped else None


def _flush(found: list[list[Step]], chain: list[Step]) -> list[Step]:
    if len(chain) >= 2:
        found.append(chain)
    return []


def _match(step: Step, passage: list[Step]) -> int | None:
    """The index of the one passage step `step` restates: it holds most of the step's terms, one of them no other
    passage step holds (a command's own word: `restart`, not `sudo systemctl`), and the two are clearly closer
    (F1 of their terms) than the step and any other passage step."""
    fits: list[float] = []
    for k, p in enumerate(passage):
        shared = step.terms & p.terms
        others = frozenset().union(*(q.terms for j, q in enumerate(passage) if j != k))
        fits.append(2 * len(shared) / (len(step.terms) + len(p.terms)) if shared - others else 0.0)
    best = max(range(len(passage)), key=fits.__getitem__)
    shared = step.terms & passage[best].terms
    if not fits[best] or len(shared) < _MIN_SHARE * len(step.terms) or len(shared) < min(2, len(step.terms)):
        return None
    if any(f >= fits[best] - _MARGIN for k, f in enumerate(fits) if k != best):
        return None  # two passage steps restated alike: no telling which
    return best


def swapped_steps(answer: str, support: str) -> list[Contradiction]:
    """Two steps the answer tells in one order (a numbered list, sequence words) and the passage in the other: a
    list with two steps swapped or the last put first, "then" turned round, "before" put for "after"."""
    found: list[Contradiction] = []
    theirs = sequences(support)
    for ours in sequences(answer, loose=True):
        for i, early in enumerate(ours):
            for late in ours[i + 1 :]:
                hit = next((h for h in (_swapped(early, late, p) for p in theirs) if h), None)
                if hit is not None and all(c.claim != hit.claim for c in found):
                    found.append(hit)
    return found


def _swapped(early: Step, late: Step, passage: list[Step]) -> Contradiction | None:
    """A finding when `early` (told first) restates a passage step that comes after the one `late` restates."""
    if early.terms <= late.terms or late.terms <= early.terms:
        return None
    a, b = _match(early, passage), _match(late, passage)
    if a is None or b is None or a <= b:
        return None
    if early.told < 0 and 0 <= passage[a].told < passage[b].told:
        return None  # a list may restate in the passage's order of mention what it tells in another order of time
    own_a = (early.terms & passage[a].terms) - passage[b].terms
    own_b = (late.terms & passage[b].terms) - passage[a].terms
    if not own_a or not own_b:
        return None
    where = (
        passage[b].sentence if passage[a].sentence == passage[b].sentence else f"{passage[b].sentence} … {passage[a].sentence}"
    )
    claim = early.sentence if early.sentence == late.sentence else f"{early.sentence} … {late.sentence}"
    return Contradiction(claim, where, "step_order", (passage[b].text[:60], passage[a].text[:60]))
