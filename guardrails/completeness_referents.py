"""Whether a reference in a question ("this plan", "it", "那个") points at something the question itself names:
a name right after it, material after it, or an antecedent before or after it; and the noun it determines.

Pure policy layer (stdlib only); completeness_gaps.py turns an unresolved reference into a gap.
"""

from __future__ import annotations

from guardrails.completeness_lexicon import (
    CONTEXT_POINTERS,
    COPULAS,
    DETERMINERS,
    EDITIONS_EN,
    MATERIALS,
    PART_OF,
    POINTERS,
    STRICT_PRONOUNS,
    ZH_DETERMINERS,
    ZH_LEXICON,
)
from guardrails.completeness_scan import NOUNS, Scan, clause_opener
from guardrails.completeness_units import Unit

__all__ = ["noun_after", "resolved_in_question"]

_DEMONSTRATIVES = frozenset(("this", "that", "these", "those"))


def _concrete_after(units: list[Unit], index: int) -> bool:
    """A name right after the reference ("this variable OLLAMA_KEEP_ALIVE", "这个参数 num_ctx"), also in brackets
    ("this parameter (num_ctx)", "这个参数（num_ctx）"). A kind of material ("this Modelfile", "那个prompt") or a
    word modifying a placeholder noun ("these meeting notes", "this Python code") names no particular one."""
    after = units[index + 1 : index + 5]
    ref = units[index].text
    # "Is that error serious?", "Make it sound formal": what follows is said of it, not its name, unless it is in
    # brackets ("Is this parameter (num_ctx) too big?"); the impersonal "they" is left alone ("Where did they film X?")
    # ("Is the timeline in this plan realistic?": the copula opens the phrase that holds it)
    opens = _phrase_start(units, index)
    predicate = (opens > 0 and units[opens - 1].text in COPULAS) or ref.split("'")[0] in ("it", "them")
    bracketed = False
    for k, unit in enumerate(after):
        if unit.kind == "break" and unit.text == "(":
            bracketed = True
            continue
        if unit.kind in ("placeholder", "category"):
            continue
        if unit.kind == "anchor" and unit.text in MATERIALS:
            continue
        if unit.kind == "anchor" and k + 1 < len(after) and after[k + 1].kind == "placeholder":
            continue
        return unit.kind == "anchor" and (bracketed or not predicate)
    return False


def noun_after(units: list[Unit], index: int) -> str:
    """The noun a reference determines: a placeholder or category noun ("this plan"), a kind of material ("this
    Modelfile"), also after a word modifying it ("these meeting notes" -> "meeting notes")."""
    k = _head_noun(units, index)
    if k < 0:
        return ""
    return (" " if units[k].text.isascii() else "").join(u.text for u in units[index + 1 : k + 1])


def _head_noun(units: list[Unit], index: int) -> int:
    """Where the noun the reference at `index` determines is (see noun_after), or -1 when it determines none."""
    k = index + 1
    while k + 1 < len(units) and units[k].kind == "anchor" and units[k + 1].kind == "placeholder":
        k += 1  # "meeting" in "these meeting notes"
    head = units[k] if k < len(units) else None
    if head is None or not (head.kind in ("placeholder", "category") or (head.kind == "anchor" and head.text in MATERIALS)):
        return -1
    return k


def resolved_in_question(scan: Scan, index: int) -> bool:
    """Whether the reference or placeholder at `index` is given in the question itself (a name or material after
    it, or what it points at named elsewhere in the question), so it leaves no gap."""
    units = scan.units
    unit = units[index]
    if _concrete_after(units, index) or scan.material_after(index):
        return True
    if unit.text in CONTEXT_POINTERS:  # "the setting I mentioned": only a name resolves it, not "setting"
        return scan.any_anchor
    if unit.text == "the" and _named_after(units, index + 2):  # "the answer to life", "the results of X"
        return True
    if _edition_of_name(units, index):  # "this version of Ollama"
        return True
    if unit.kind == "ref" and not noun_after(units, index) and unit.text not in POINTERS:
        if unit.text.split("'")[0] in STRICT_PRONOUNS and not _unsegmented_noun(units, index):
            return _antecedent(scan, index)
        # A bare "this"/"that" can point at any named thing in the question, before or after it.
        return scan.anchor_outside(0, 0)
    # "this plan", "the above", "my code": only something described earlier in the question resolves it.
    return scan.anchor_before(_phrase_start(units, index))


def _phrase_start(units: list[Unit], index: int) -> int:
    """Where the noun phrase ends that holds the reference after a preposition ("the timeline in this plan", "the
    second paragraph of that draft"): a name inside it is a part of the thing pointed at, not its antecedent, so
    only names before the phrase count. `index` itself when no preposition comes right before the reference."""
    if index < 2 or units[index - 1].text not in PART_OF:
        return index
    k = index - 1
    while k > 0 and (units[k - 1].kind in ("anchor", "category", "placeholder") or units[k - 1].text in DETERMINERS):
        k -= 1
    return k if k < index - 1 else index


def _unsegmented_noun(units: list[Unit], index: int) -> bool:
    """A Chinese determiner before a character the lexicon does not know ("这个应用": 应 is left over on its own,
    用 is a light verb): it may well determine a noun the greedy split broke up, so it is not read as bare."""
    nxt = units[index + 1] if index + 1 < len(units) else None
    return units[index].text in ZH_DETERMINERS and nxt is not None and nxt.kind == "generic" and nxt.text not in ZH_LEXICON


def _antecedent(scan: Scan, index: int) -> bool:
    """A bare pronoun ("it", "them", "它", "那个") points at a named thing before it: in an earlier clause in
    English ("When I run Ollama, it crashes"; not "Rewrite it more politely", "write unit tests for it"), anywhere
    before it in Chinese ("吴淞路闸桥拆除后它的…", "Q2 这种"); or at a name in a later sentence ("它为什么叫统一内存？
    我指的是 Apple Silicon"); or, as English "it" before a copula, an infinitive or a clause, at what follows ("Is
    it safe to expose Ollama?", "it is the spring season")."""
    return _antecedent_before(scan, index) or _antecedent_after(scan, index)


def _antecedent_before(scan: Scan, index: int) -> bool:
    """A noun before the pronoun, with a clause opener between them in English (any noun in Chinese): read
    backwards from the pronoun, a break or clause word opens a clause, except "to" right before it ("to it" is
    a preposition, not an infinitive opening a clause); a gerund too in English ("use my GPU instead of
    running it on the CPU")."""
    english = scan.units[index].text.isascii()
    nouns = scan.noun_en if english else scan.noun_zh
    boundary = not english
    if index >= 1:  # the unit right before the pronoun, where "to" opens no clause
        unit = scan.units[index - 1]
        if unit.text == "to" and unit.kind != "break":
            if boundary and unit.kind in NOUNS:
                return True
        elif clause_opener(unit, english):
            boundary = True
        elif boundary and unit.kind in NOUNS:
            return True
    before = max(index - 1, 0)
    if boundary:
        return nouns[before] > 0
    opener = scan.opener_en[before]  # the nearest clause opener further back
    return opener >= 0 and nouns[opener] > 0


def _antecedent_after(scan: Scan, index: int) -> bool:
    """A name after the pronoun once its sentence has ended, or (English "it" before a copula, an infinitive or
    a clause: "Is it safe to expose Ollama?", "it is the spring season") once a clause has opened after it."""
    english = scan.units[index].text.isascii()
    start = index + 1
    if not english:
        turn = scan.next_break[start]
        return scan.named[-1] - scan.named[min(turn + 1, len(scan.units))] > 0
    opened = scan.units[index].text.endswith("'s")
    turn = index if opened else scan.next_turn_en[start]  # after it, an opening word is said of no name
    return scan.named_en[-1] - scan.named_en[min(turn + 1, len(scan.units))] > 0


def _edition_of_name(units: list[Unit], index: int) -> bool:
    """A demonstrative before an edition of a name: "this version of Ollama", "that version of Qwen2.5" (as it
    stands now). Not of a pronoun ("this version of it"), of something only described ("of the app", "of my
    code"), of a kind of material ("of Dockerfile") or of a word modifying a placeholder noun ("of Python code");
    not a part of the name either ("this function of numpy": which one is not said)."""
    head = _head_noun(units, index)
    if units[index].text not in _DEMONSTRATIVES or head < 0 or units[head].text not in EDITIONS_EN:
        return False
    of, name, after = (units[head + k] if head + k < len(units) else None for k in (1, 2, 3))
    if of is None or of.text != "of" or name is None or name.kind != "anchor" or name.text in MATERIALS:
        return False
    return after is None or not (after.kind == "placeholder" or after.text in MATERIALS)


def _named_after(units: list[Unit], start: int) -> bool:
    """A name within a short prepositional phrase from `start` ("of Ollama", "for the Q4_K_M build")."""
    for unit in units[start : start + 4]:
        if unit.kind == "anchor":
            return True
        if unit.kind in ("break", "ref", "verb"):
            return False
    return False
