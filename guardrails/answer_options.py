"""The options a question offers ("Which is faster, Q4 or Q8?", "选 Q4 还是 Q8？", "Q4 和 Q8 哪个更快？") and
whether an answer picks one of them. "Q4 is faster." repeats most of that question and adds nothing, yet it is
the answer: a reply that keeps one option's own words and none of the other's chose between them.

Pure policy layer (stdlib), used by guardrails/answer_relevance.py. The content units come from the caller, so
the options are read in the same units as the echo test.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from guardrails.text import normalize

# English "A or B" asks to choose only after a choice word or as a yes/no-form question ("Is Q4 faster or Q8?");
# "How do I stop or restart it?" offers no choice.
_CHOICE_EN = re.compile(r"\b(?:which|whether|better|prefer|rather|versus|vs|choose|pick)\b")
_AUX_EN = re.compile(r"^\s*(?:is|are|was|were|do|does|did|should|shall|can|could|will|would|may|must)\b")
_OR_EN = re.compile(r"\s+(?:or|vs\.?|versus)\s+")
_OR_ZH = re.compile(r"还是")
_AND_ZH = re.compile(r"\s*(?:和|与|跟|、)\s*")  # with 哪个/哪种 in the question: "A 和 B 哪个更快"
_WHICH_ZH = re.compile(r"哪")
# Where an option starts (left) or ends (right): clause punctuation, and the words that lead into the choice.
_LEFT_EDGE = re.compile(
    r"[,，:：;；?？。!！]|\b(?:which|whether|between|is|are|should|use|choose|pick|set)\b|哪[个种一样]?\S*?(?=\s)"
    r"|是|选择|选|用|设为|设成"
)
MIN_KEPT = 0.6  # share of the chosen option's own units the answer keeps (at least)
MAX_OTHER = 0.5  # share of the other option's own units it keeps (at most)
_RIGHT_EDGE = re.compile(r"[,，:：;；?？。!！]|哪|\b(?:which|is|are)\b")


def _option_pair(clause: str, connector: re.Match[str]) -> tuple[str, str]:
    left = clause[: connector.start()]
    edges = list(_LEFT_EDGE.finditer(left))
    left = left[edges[-1].end() :] if edges else left
    right = clause[connector.end() :]
    end = _RIGHT_EDGE.search(right)
    return left.strip(), (right[: end.start()] if end else right).strip()


def offered_options(question: str) -> list[tuple[str, str]]:
    """Pairs of options the question asks to choose between (as written, without the words around them)."""
    text = normalize(question)
    connectors = list(_OR_ZH.finditer(text))
    if _WHICH_ZH.search(text):
        connectors += list(_AND_ZH.finditer(text))
    if _CHOICE_EN.search(text) or _AUX_EN.match(text):
        connectors += list(_OR_EN.finditer(text))
    pairs = [_option_pair(text, c) for c in connectors]
    return [(a, b) for a, b in pairs if a and b]


def picks_one(question: str, answer: str, units: Callable[[str], set[str]]) -> bool:
    """Whether the answer keeps most of one offered option's own units (those the other option lacks) and at most
    half of the other's: a choice, not an echo. An option's edge may hold a word of the question around it ("use"
    in "Should I use Docker or a native install?"), hence shares. Both options kept, or neither: no choice."""
    said = units(answer)
    for left, right in offered_options(question):
        a, b = units(left), units(right)
        own_a, own_b = a - b, b - a
        if not own_a or not own_b:
            continue
        kept = sorted((len(own_a & said) / len(own_a), len(own_b & said) / len(own_b)))
        if kept[1] >= MIN_KEPT and kept[0] <= MAX_OTHER:
            return True
    return False
