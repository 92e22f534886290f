"""Choices in a question: options listed only by pointing at them ("the first or the second", "甲方案和乙方案"), and
whether named candidates are given ("Q4_K_M or Q8_0", or a list after a colon).

Pure policy layer (stdlib only); completeness.py turns unnamed options, or a comparison without candidates, into a
`candidates` gap.
"""

from __future__ import annotations

from guardrails.completeness_lexicon import CONTRASTS, DEICTIC_EN, OPTION_LABELS
from guardrails.completeness_units import Unit

__all__ = ["candidates_given", "unnamed_options"]


def unnamed_options(units: list[Unit]) -> str:
    """Options listed only by pointing at them: "the first or the second", "A or B", "左边那个和右边那个",
    "甲方案和乙方案". Both sides of an or/vs/还是/和 are unnamed, and at least one is a reference, an ordinal or a
    letter (not two placeholder nouns: "errors or warnings" asks about kinds). Returns the phrase, or ""."""
    for i in range(1, len(units) - 1):
        if units[i].kind != "connector" or units[i].text in ("、", "/"):
            continue
        left = _option(units, i - 1, -1)
        right = _option(units, i + 1, 1)
        if left and right and (left != "placeholder" or right != "placeholder"):
            words = [u.text for u in units[max(0, i - 2) : i + 3] if u.kind != "break"]
            return (" " if units[i].text.isascii() else "").join(words)
    return ""


def _option(units: list[Unit], k: int, step: int) -> str:
    """How the option at `k` (read outwards from a connector) is given: "ref", "placeholder", "label" (a
    letter, an ordinal after "the", 甲/乙), or "" for a name or anything else."""
    if 0 <= k < len(units) and units[k].text == "the" and step > 0:
        k += 1  # "... or the second"
    if not 0 <= k < len(units):
        return ""
    unit = units[k]
    if unit.kind == "ref" or (step > 0 and unit.kind == "anchor" and k + 1 < len(units) and units[k + 1].kind == "ref"):
        return "ref"  # "那个", "右边那个"
    if unit.text in DEICTIC_EN and k and units[k - 1].text == "the":
        return "label"
    if unit.text in OPTION_LABELS:
        return "label"
    if unit.kind == "placeholder":
        label = units[k - 1] if k else None  # "甲方案", "plan b" is read from the label's side
        return "label" if label is not None and label.text in OPTION_LABELS else "placeholder"
    return ""


def candidates_given(units: list[Unit]) -> bool:
    """Two named options joined by or/vs/and/还是/和/、 ("Q4_K_M or Q8_0", "A 还是 B"), or listed after a colon."""
    # the first colon has the most names after it (one pass, not one from each colon)
    colon = next((i for i, u in enumerate(units) if u.kind == "break" and u.text in (":", "：")), None)
    if colon is not None and sum(1 for u in units[colon + 1 :] if u.kind in ("anchor", "category")) >= 2:
        return True
    named = ("anchor", "category")
    # two settings set against each other ("If my Modelfile sets 0.2 but my request says 0.7, which one wins?",
    # "Modelfile 里是 0.2，但 options 里是 0.7，哪个更好？"): each side of the contrast names one
    for i, unit in enumerate(units):
        if unit.text in CONTRASTS and _names(units[:i]) and _names(units[i + 1 : _clause_end(units, i + 1)]):
            return True
    for i in range(1, len(units) - 1):
        # a comma may close the first option: "Q4_K_M, or Q8_0", "qwen2.5，还是 llama3"
        before = units[i - 2] if units[i - 1].kind == "break" and units[i - 1].text == "," and i >= 2 else units[i - 1]
        if units[i].kind == "connector" and before.kind in named and units[i + 1].kind in named:
            return True
    return False


def _names(units: list[Unit]) -> bool:
    return any(u.kind in ("anchor", "category") for u in units)


def _clause_end(units: list[Unit], start: int) -> int:
    """The first clause break (a comma or sentence end) at or after `start`, or the end."""
    return next((k for k in range(start, len(units)) if units[k].kind == "break"), len(units))
