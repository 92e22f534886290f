"""Finds the gaps of the completeness guardrail: references to nothing and requests without material, in the
typed units of completeness_units.py (zh + en); and counts a question's content words. Whether a reference is
resolved is completeness_referents.py's job; choices without candidates are completeness_options.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.completeness_lexicon import (
    DIAGNOSTIC_RE,
    FORMAT_WORDS,
    MATERIALS,
    POSSESSIVES,
    Missing,
)
from guardrails.completeness_material import announces_material, material_noun
from guardrails.completeness_referents import noun_after, resolved_in_question
from guardrails.completeness_scan import Scan
from guardrails.completeness_units import Unit

__all__ = ["Gap", "content_words", "find_gaps", "has_anchor"]


@dataclass(frozen=True)
class Gap:
    missing: Missing
    phrase: str  # the words that need filling in, e.g. "this plan"
    noun: str = ""  # placeholder noun of a missing object, e.g. "code"
    verb: str = ""  # request verb of a missing object, e.g. "review"


def has_anchor(units: list[Unit]) -> bool:
    return any(u.kind in ("anchor", "category") for u in units)


def content_words(units: list[Unit]) -> int:
    """Names and topic words. A placeholder noun that is also a kind of material ("日志", "code") counts when it
    is not the user's own: "日志在哪里看？" asks where logs are, as "Where are the logs?" does, while "my code" or
    "我的日志" is material the question does not show. A request for it ("帮我看看日志") is an `object` gap anyway."""
    return sum(
        1
        for i, u in enumerate(units)
        if u.kind in ("anchor", "category")
        or (u.kind == "placeholder" and u.text in MATERIALS and (i == 0 or units[i - 1].text not in POSSESSIVES))
    )


def find_gaps(units: list[Unit], text: str) -> list[Gap]:
    gaps: list[Gap] = []
    scan = Scan(units)
    handled: set[int] = set()
    # (b') "why is my Docker command failing?", "any feedback on my draft?": the user's own artefact is broken
    # or up for review, but not shown
    diagnostic = bool(DIAGNOSTIC_RE.search(text))
    if diagnostic or any(u.kind == "verb" for u in units):
        for i, unit in enumerate(units):
            if unit.text not in POSSESSIVES:
                continue
            for j in range(i + 1, min(i + 4, len(units))):
                if units[j].text in MATERIALS if diagnostic else units[j].kind == "placeholder":
                    span = units[i + 1 : j + 1]
                    if not scan.anchor_outside(i, j + 1) and not scan.material_after(j):
                        noun = (" " if units[j].text.isascii() else "").join(u.text for u in span)
                        gaps.append(Gap("object", _phrase(unit.text, noun), noun=noun))
                        handled.update(range(i, j + 1))
                    break
                if units[j].kind not in ("anchor", "category"):
                    break
    # (b) a request verb whose object is a reference or a placeholder noun with nothing supplied
    for i, unit in enumerate(units):
        if unit.kind != "verb" or i in handled:
            continue
        for j in range(i + 1, min(i + 5, len(units))):
            obj = units[j]
            if obj.kind in ("generic", "verb"):
                continue
            if obj.kind in ("ref", "placeholder") and not resolved_in_question(scan, j):
                noun = obj.text if obj.kind == "placeholder" else noun_after(units, j)
                phrase = _phrase(obj.text, noun) if obj.kind == "ref" else obj.text
                gaps.append(Gap("object", phrase, noun=noun, verb=unit.text))
                handled.update({j, j + 1})
            break
    # (c) material the question says it carries or came with ("the log below", "the attached contract", "here's
    # my code", "我上传的合同") but does not: naming the material's kind does not supply it
    for i in range(len(units)):
        if i not in handled and announces_material(units, i) and not scan.material_after(i):
            noun = material_noun(units, i)
            if not (noun and any(g.noun == noun for g in gaps)):  # "check the file I shared": asked for already
                gaps.append(Gap("object", _phrase(units[i].text, noun) if noun else units[i].text, noun=noun))
            handled.update({i, i + 1})
    # (a) references with nothing to point at
    for i, unit in enumerate(units):
        if unit.kind != "ref" or i in handled:
            continue
        if not resolved_in_question(scan, i):
            gaps.append(Gap("referent", _phrase(unit.text, noun_after(units, i))))
    # (b'') a request whose only words are a target language or format: "改写成英文", "Translate to English."
    anchors = [u for u in units if u.kind == "anchor"]
    verb = next((u for u in units if u.kind == "verb"), None)
    if not gaps and verb is not None and all(u.text in FORMAT_WORDS for u in anchors) and not scan.material_after(-1):
        gaps.append(Gap("object", verb.text, verb=verb.text))
    return gaps


def _phrase(ref: str, noun: str) -> str:
    if not noun:
        return ref
    return f"{ref} {noun}" if ref.isascii() else ref + noun
