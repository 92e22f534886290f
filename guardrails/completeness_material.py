"""Material a question says it carries or came with ("the log below", "the attached contract", "here's my code",
"我上传的合同", "附件里的数据"), for the completeness guardrail: naming the material's kind does not supply it.

Pure policy layer; completeness_gaps.py turns a word found here, with no material after it, into an `object` gap.
"""

from __future__ import annotations

from guardrails.completeness_lexicon import (
    ANNOUNCE_SUBJECTS,
    ANNOUNCE_SUBJECTS_ZH,
    ANNOUNCED_EN,
    ANNOUNCED_ZH,
    DESTINATIONS,
    DETERMINERS,
    MATERIALS,
    OUTPUT_VERBS,
)
from guardrails.completeness_units import Unit

__all__ = ["announces_material", "material_noun"]


def announces_material(units: list[Unit], index: int) -> bool:
    """Whether the word at `index` says material is in this message or was uploaded with it. Guarded by its
    neighbours, so the same words used otherwise do not count: "below 8 GB", "below the limit", "models I
    uploaded to ollama.com", "text pasted into the terminal", "here's the thing"."""
    unit = units[index]
    prev = units[index - 1].text if index else ""
    nxt = units[index + 1] if index + 1 < len(units) else None
    to_here = nxt is None or nxt.text not in DESTINATIONS
    if unit.text in ANNOUNCED_EN:
        return prev in ANNOUNCE_SUBJECTS and to_here
    if unit.text in ("sent", "shared"):  # "the output I sent": material sent elsewhere, named only by its kind
        before = units[index - 2] if index >= 2 else None
        return prev in ("i", "we") and before is not None and _sent_thing(units, index - 2) and to_here
    if unit.text == "below":  # "the log is below", "the email below"; not "below 8 GB", "paste it below"
        follows = (
            nxt is None or nxt.kind in ("break", "connector") or (nxt.kind in ("generic", "verb") and nxt.text not in DETERMINERS)
        )
        said_of = prev in ("is", "are") or (index > 0 and units[index - 1].kind in ("anchor", "placeholder", "category"))
        asked_for = any(u.text in OUTPUT_VERBS for u in units[max(0, index - 4) : index])  # "write your answer below"
        return follows and said_of and not asked_for and not prev[-1:].isdigit()
    if unit.text == "here's" or (unit.text == "here" and nxt is not None and nxt.text in ("is", "are")):
        opens = index == 0 or units[index - 1].kind == "break"
        return opens and any(_is_material(u) for u in units[index + 1 : index + 5])
    if unit.text == "附件":
        return nxt is not None and nxt.text in ("里", "中", "里的", "中的")
    if unit.text in ANNOUNCED_ZH:
        return unit.text.startswith("附件") or prev in ANNOUNCE_SUBJECTS_ZH
    return False


def _sent_thing(units: list[Unit], index: int) -> bool:
    """The noun before "I sent / we shared": a kind of material ("the output I sent"), or any noun the user points
    at with "the/that/my" ("the lease I shared", "that contract we sent"): either way it is not in the message."""
    unit = units[index]
    if _is_material(unit):
        return True
    pointed = any(u.text in ("the", "that", "this", "my", "our") for u in units[max(0, index - 3) : index])
    return unit.kind in ("anchor", "placeholder", "category") and pointed


def _is_material(unit: Unit) -> bool:
    return unit.text in MATERIALS or unit.kind == "placeholder"


def material_noun(units: list[Unit], index: int) -> str:
    """The kind of material named near the announcing word, within its phrase ("the attached *contract*", "the
    *log* is below", "here's my *code*"): after it first, then before it ("below", "sent" and "shared" follow
    their noun, so before it first)."""
    after, before = units[index + 1 : index + 4], units[max(0, index - 3) : index][::-1]
    for side in (before, after) if units[index].text in ("below", "sent", "shared") else (after, before):
        for unit in side:
            if unit.kind == "break":
                break
            if unit.kind in ("anchor", "placeholder", "category") and unit.text[:1] not in '`"“「『':
                return unit.text
    return ""
