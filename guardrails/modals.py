"""Claims that turn a modal of the passage clause they restate into its negation, or back: "局域网中的其他电脑可以
直接连接" against "局域网中的其他电脑默认无法连接", "you need to restart" against "you do not need to restart", "同一台
机器上的程序无法访问" against "可以通过 … 访问".

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py. The polarity check needs
two flipped terms in a sentence (one shared word can be a coincidence) and compares whole sentences, so a one-verb
clause flipped inside a longer sentence passes it. Here the stance is explicit on both sides: the same modal (can /
need / will / should; 可以 / 需要 / 会 / 应该) governs the same term, stated on one side and negated on the other, in
the two clauses that restate each other. One term is then enough, as for a leading yes (polarity.py's `lead_flips`).
A clause holding a condition (否则, 如果, 才, unless, if, only…) or any other negation is left out: "必须重启，否则无法
生效" says what "重启后才能生效" says, and "不重启不会生效" what "重启才会生效" says. The modals are a closed class of
words, like the negation cues, not vocabulary of one corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guardrails.alignment import Contradiction, align
from guardrails.clause_bounds import CLAUSE_END
from guardrails.marking import NEGATION, mark, passage_clauses
from guardrails.sentences import clauses
from guardrails.text import content_terms


@dataclass(frozen=True)
class _Modal:
    """A modal's stated and negated forms, English and Chinese."""

    name: str
    stated: re.Pattern[str]
    negated: re.Pattern[str]


def _modal(name: str, stated: str, negated: str) -> _Modal:
    return _Modal(name, re.compile(stated, re.IGNORECASE), re.compile(negated, re.IGNORECASE))


# 能 not inside 性能/功能/可能/智能/能力; 会 not inside 会话/机会/学会; 要 and 应 alone are too many other words (重要, 应用).
_MODALS: tuple[_Modal, ...] = (
    _modal(
        "can",
        r"\b(?:can|could|is\s+able\s+to|are\s+able\s+to)\b|可以|能够|(?<![性功可智技本才只])能(?![力耗量源否])",
        r"\b(?:cannot|can't|can\s+not|could\s+not|couldn't|unable\s+to|not\s+able\s+to)\b|无法|不能|不可以|没法|没办法|不可能",
    ),
    _modal(
        "need",
        r"\b(?:must|needs?|has\s+to|have\s+to|requires?|is\s+required|are\s+required)\b|需要|必须|必需",
        r"\b(?:(?:(?:does|do|did)\s+not|doesn't|don't|didn't)\s+(?:need|have\s+to|require)|need\s+not|needn't|no\s+need"
        r"|is\s+not\s+required|are\s+not\s+required)\b|不需要|无需|无须|不必|不用|不需|没必要",
    ),
    _modal("will", r"\bwill\b|(?<![机学社体误理领约聚开不])会(?![话议员计])", r"\b(?:will\s+not|won't)\b|不会"),
    _modal("should", r"\bshould\b|应该|应当", r"\b(?:should\s+not|shouldn't)\b|不应该|不应当|不应|不该"),
)
# A condition turns what a negated modal says into what a stated one says ("否则无法生效" = "才能生效"): left out.
_CONDITION = re.compile(
    r"\b(?:if|unless|otherwise|only|until|except|when|whether)\b|否则|如果|若|假如|要是|除非|只有|只要|才|一旦|除了|是否|能否",
    re.IGNORECASE,
)
_CODE = re.compile(r"`[^`\n]*`")
# Most times one modal is stated in one clause: 3 in the grounding sets, data/docs and CMRC (but for a list of 居委会).
_MAX_STATED = 8


def _governed(clause: str, modal: _Modal) -> tuple[set[str], set[str]] | None:
    """The content terms the clause states and negates with this modal (the rest of the clause after it); None when
    the clause holds a condition or a negation besides the modal's own."""
    clause = _CODE.sub(" ", clause)  # a code span is one name, and its colons (http://…) end no clause
    negated = [(m.start(), m.end()) for m in modal.negated.finditer(clause)]
    if len(negated) > 1:
        return None  # two negated stances (checked first: the overlap tests below pair every span with these)
    stated = [
        (m.start(), m.end())
        for m in modal.stated.finditer(clause)
        if not any(s <= m.start() < e or m.start() <= s < m.end() for s, e in negated)
    ]
    if not negated and not stated:
        return None
    if len(stated) > _MAX_STATED:
        return None  # a list (新华居委会、星平居委会…) or a loop, not a stance; and each span would read on to the clause's end
    if _CONDITION.search(clause):
        return None
    cues = [m for m in NEGATION.finditer(clause) if not any(s <= m.start() < e for s, e in negated)]
    if cues or len(negated) > 1 or (negated and stated):
        return None  # "不重启不会生效", "可以不用": a double negation or two stances in one clause
    spans = negated or stated
    terms: set[str] = set()
    for _, end in spans:
        stop = next((m.start() for m in CLAUSE_END.finditer(clause, end)), len(clause))
        terms |= content_terms(clause[end:stop])
    return (set(), terms) if negated else (terms, set())


def flipped_modals(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer clauses whose modal (can / need / will / should) is stated where the passage clause they restate
    negates it, or negated where it states it, over a term both govern. Evidence: the modal, then the terms."""
    found: list[Contradiction] = []
    parts = [m for m in passage_clauses(support) if "|" not in m.text]  # table rows align with their header
    for raw in clauses(answer):
        stances = [(modal, ours) for modal in _MODALS if (ours := _governed(raw, modal)) is not None]
        aligned = align(mark(raw), parts) if stances else None  # most clauses state no modal: nothing to align
        if aligned is None or aligned[1] < min_alignment:
            continue
        target = aligned[0].text
        for modal, ours in stances:
            theirs = _governed(target, modal)
            if theirs is None:
                continue
            flipped = (ours[0] & theirs[1]) | (ours[1] & theirs[0])
            if flipped:
                found.append(Contradiction(raw, target, "modal", (modal.name, *sorted(flipped))))
                break
    return found
