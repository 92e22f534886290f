"""Splits a question into typed units for the completeness guardrail (zh + en): words and CJK runs classified by
the lexicon (references, placeholders, categories, request verbs, connectors, names), quoted material, breaks.

Pure policy layer; completeness_gaps.py reads the units to find what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.completeness_lexicon import (
    CATEGORIES_EN,
    CONNECTORS_EN,
    DEICTIC_EN,
    FUNCTION_CHARS_ZH,
    GENERIC_EN,
    LENGTH_RE,
    PLACEHOLDERS_EN,
    REFS_EN,
    UNIT_RE,
    VERBS_EN,
    ZH_LEXICON,
    ZH_MAX,
    Kind,
)


@dataclass(frozen=True)
class Unit:
    kind: Kind
    text: str
    pos: int


def split_units(text: str) -> list[Unit]:
    units: list[Unit] = []
    for match in UNIT_RE.finditer(text):
        group, value, pos = match.lastgroup, match.group(0), match.start()
        if group == "quoted":
            units.append(Unit("anchor", value, pos))
        elif group == "word":
            units.append(Unit(_english_kind(value), value, pos))
        elif group == "cjk":
            units.extend(_chinese_units(value, pos))
        elif group == "list":
            units.append(Unit("connector", value, pos))
        else:  # colon, newline and other punctuation end a phrase
            units.append(Unit("break", value, pos))
    return _definite_references(units)


def _definite_references(units: list[Unit]) -> list[Unit]:
    """ "the plan", "the new version", "the second model": a definite article before a placeholder noun (or before
    a deictic adjective and a category noun) points back at something, like "this" does. The article becomes
    a reference and the adjectives between are dropped, so the noun follows it directly."""
    out: list[Unit] = []
    i = 0
    while i < len(units):
        unit = units[i]
        j = i + 1
        while unit.text == "the" and j < len(units) and units[j].text in DEICTIC_EN:
            j += 1
        noun = units[j] if unit.text == "the" and j < len(units) else None
        if noun is not None and (noun.kind == "placeholder" or (j > i + 1 and noun.kind == "category")):
            out += [Unit("ref", "the", unit.pos), noun]
            i = j + 1
            continue
        out.append(unit)
        i += 1
    return out


def _english_kind(word: str) -> Kind:
    head = word.split("'")[0]  # "it's" -> "it", "what's" -> "what"
    if head in REFS_EN:
        return "ref"
    if head in CONNECTORS_EN:
        return "connector"
    if head in VERBS_EN:
        return "verb"
    if head in PLACEHOLDERS_EN:
        return "placeholder"
    if head in CATEGORIES_EN:
        return "category"
    if head in GENERIC_EN or (len(head) == 1 and head.isalpha()) or LENGTH_RE.fullmatch(head):
        return "generic"
    return "anchor"


def _chinese_units(run: str, offset: int) -> list[Unit]:
    """Greedy longest match against the lexicon; leftover stretches of 2+ characters are content."""
    units: list[Unit] = []
    rest_start = -1
    i = 0

    def flush_rest(end: int) -> None:
        if rest_start >= 0:
            piece = run[rest_start:end]
            content = len(piece) >= 2 and any(c not in FUNCTION_CHARS_ZH for c in piece)
            units.append(Unit("anchor" if content else "generic", piece, offset + rest_start))

    while i < len(run):
        for size in range(min(ZH_MAX, len(run) - i), 0, -1):
            kind = ZH_LEXICON.get(run[i : i + size])
            if kind is not None:
                flush_rest(i)
                rest_start = -1
                units.append(Unit(kind, run[i : i + size], offset + i))
                i += size
                break
        else:
            if rest_start < 0:
                rest_start = i
            i += 1
    flush_rest(len(run))
    return units
