"""Finds the gaps of the completeness guardrail: references to nothing, requests without material, and choices
without candidates, in the typed units of completeness_units.py (zh + en).
"""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.completeness_lexicon import (
    CLAUSE_WORDS,
    CONTEXT_POINTERS,
    COPULAS,
    DEICTIC_EN,
    DIAGNOSTIC_RE,
    EXTRAPOSED,
    FORMAT_WORDS,
    MATERIALS,
    OPTION_LABELS,
    POINTERS,
    POSSESSIVES,
    STRICT_PRONOUNS,
    ZH_DETERMINERS,
    ZH_LEXICON,
    Missing,
)
from guardrails.completeness_material import announces_material, material_noun
from guardrails.completeness_units import Unit, split_units

__all__ = ["Gap", "candidates_given", "content_words", "find_gaps", "has_anchor", "split_units", "unnamed_options"]


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


_NAMED = ("anchor", "category")
_NOUNS = ("anchor", "category", "placeholder")  # what a pronoun can take up as its antecedent
_QUOTES = '`"“「『'
_LINE_BREAKS = (":", "：", "\n")


def _counts(flags: list[bool]) -> list[int]:
    """Prefix counts: `counts[i]` is how many of `flags[:i]` are set."""
    counts = [0]
    for flag in flags:
        counts.append(counts[-1] + flag)
    return counts


def _next(flags: list[bool]) -> list[int]:
    """`nxt[i]`: the first index at or after `i` whose flag is set (`len(flags)` if none), for i in 0..len."""
    nxt = [len(flags)] * (len(flags) + 1)
    for i in range(len(flags) - 1, -1, -1):
        nxt[i] = i if flags[i] else nxt[i + 1]
    return nxt


def _previous(flags: list[bool]) -> list[int]:
    """`prev[i]`: the last index before `i` whose flag is set (-1 if none), for i in 0..len."""
    prev = [-1]
    for i, flag in enumerate(flags):
        prev.append(i if flag else prev[-1])
    return prev


def _clause_opener(unit: Unit, english: bool) -> bool:
    """A unit opening a clause, read backwards from a pronoun (see _antecedent)."""
    if unit.kind == "break" or unit.text in CLAUSE_WORDS:
        return True
    return english and len(unit.text) > 5 and unit.text.endswith("ing")  # a gerund opens a clause of its own


class _Scan:
    """What find_gaps asks of every position of a question, read in one pass over its units: each look-up from a
    reference ("a name before it?", "words after a colon after it?", "an antecedent?") is then a constant-time
    read, where reading the units again from every reference grew with the square of the question (8 s for
    8,000 pronouns once `max_chars` is raised)."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self.named = _counts([u.kind in _NAMED for u in units])
        self.any_anchor = any(u.kind == "anchor" for u in units)
        self.quoted = _counts([u.kind == "anchor" and u.text[:1] in _QUOTES for u in units])
        self.next_line_break = _next([u.kind == "break" and u.text in _LINE_BREAKS for u in units])
        self.last_word = max((j for j, u in enumerate(units) if u.kind != "break"), default=-1)
        # _antecedent, backwards: nouns not opening a clause, and the clause openers (English: gerunds too)
        self.noun_zh = _counts([u.kind in _NOUNS and not _clause_opener(u, False) for u in units])
        self.noun_en = _counts([u.kind in _NOUNS and not _clause_opener(u, True) for u in units])
        self.opener_en = _previous([_clause_opener(u, True) for u in units])
        # _antecedent, forwards: where a clause ends, or (English) opens after "it"; names not opening one
        self.next_break = _next([u.kind == "break" for u in units])
        self.next_turn_en = _next([u.kind == "break" or u.text in EXTRAPOSED or u.text in ("is", "was") for u in units])
        self.named_en = _counts([u.kind in _NAMED and u.text not in EXTRAPOSED for u in units])

    def anchor_before(self, index: int) -> bool:
        """A name or topic word in `units[:index]`."""
        return self.named[index] > 0

    def anchor_outside(self, start: int, end: int) -> bool:
        """A name or topic word outside `units[start:end]`."""
        return self.named[start] + self.named[-1] - self.named[end] > 0

    def material_after(self, index: int) -> bool:
        """Supplied material after position `index` (-1: anywhere): quoted text or code, or words after a colon or
        newline."""
        start = index + 1
        if self.quoted[-1] - self.quoted[start] > 0:
            return True
        # a colon or newline before the last unit that is not a break
        return self.last_word >= start and self.next_line_break[start] < self.last_word


def _concrete_after(units: list[Unit], index: int) -> bool:
    """A name right after the reference ("this variable OLLAMA_KEEP_ALIVE", "这个参数 num_ctx"), also in brackets
    ("this parameter (num_ctx)", "这个参数（num_ctx）"). A kind of material ("this Modelfile", "那个prompt") or a
    word modifying a placeholder noun ("these meeting notes", "this Python code") names no particular one."""
    after = units[index + 1 : index + 5]
    ref = units[index].text
    # "Is that error serious?", "Make it sound formal": what follows is said of it, not its name, unless it is in
    # brackets ("Is this parameter (num_ctx) too big?"); the impersonal "they" is left alone ("Where did they film X?")
    predicate = (index > 0 and units[index - 1].text in COPULAS) or ref.split("'")[0] in ("it", "them")
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


def _noun_after(units: list[Unit], index: int) -> str:
    """The noun a reference determines: a placeholder or category noun ("this plan"), a kind of material ("this
    Modelfile"), also after a word modifying it ("these meeting notes" -> "meeting notes")."""
    k = index + 1
    while k + 1 < len(units) and units[k].kind == "anchor" and units[k + 1].kind == "placeholder":
        k += 1  # "meeting" in "these meeting notes"
    head = units[k] if k < len(units) else None
    if head is None or not (head.kind in ("placeholder", "category") or (head.kind == "anchor" and head.text in MATERIALS)):
        return ""
    return (" " if head.text.isascii() else "").join(u.text for u in units[index + 1 : k + 1])


def find_gaps(units: list[Unit], text: str) -> list[Gap]:
    gaps: list[Gap] = []
    scan = _Scan(units)
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
            if obj.kind in ("ref", "placeholder") and not _resolved_in_question(scan, j):
                noun = obj.text if obj.kind == "placeholder" else _noun_after(units, j)
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
        if not _resolved_in_question(scan, i):
            gaps.append(Gap("referent", _phrase(unit.text, _noun_after(units, i))))
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


def _resolved_in_question(scan: _Scan, index: int) -> bool:
    units = scan.units
    unit = units[index]
    if _concrete_after(units, index) or scan.material_after(index):
        return True
    if unit.text in CONTEXT_POINTERS:  # "the setting I mentioned": only a name resolves it, not "setting"
        return scan.any_anchor
    if unit.text == "the" and _named_after(units, index + 2):  # "the answer to life", "the results of X"
        return True
    if unit.kind == "ref" and not _noun_after(units, index) and unit.text not in POINTERS:
        if unit.text.split("'")[0] in STRICT_PRONOUNS and not _unsegmented_noun(units, index):
            return _antecedent(scan, index)
        # A bare "this"/"that" can point at any named thing in the question, before or after it.
        return scan.anchor_outside(0, 0)
    # "this plan", "the above", "my code": only something described earlier in the question resolves it.
    return scan.anchor_before(index)


def _unsegmented_noun(units: list[Unit], index: int) -> bool:
    """A Chinese determiner before a character the lexicon does not know ("这个应用": 应 is left over on its own,
    用 is a light verb): it may well determine a noun the greedy split broke up, so it is not read as bare."""
    nxt = units[index + 1] if index + 1 < len(units) else None
    return units[index].text in ZH_DETERMINERS and nxt is not None and nxt.kind == "generic" and nxt.text not in ZH_LEXICON


def _antecedent(scan: _Scan, index: int) -> bool:
    """A bare pronoun ("it", "them", "它", "那个") points at a named thing before it: in an earlier clause in
    English ("When I run Ollama, it crashes"; not "Rewrite it more politely", "write unit tests for it"), anywhere
    before it in Chinese ("吴淞路闸桥拆除后它的…", "Q2 这种"); or at a name in a later sentence ("它为什么叫统一内存？
    我指的是 Apple Silicon"); or, as English "it" before a copula, an infinitive or a clause, at what follows ("Is
    it safe to expose Ollama?", "it is the spring season")."""
    return _antecedent_before(scan, index) or _antecedent_after(scan, index)


def _antecedent_before(scan: _Scan, index: int) -> bool:
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
            if boundary and unit.kind in _NOUNS:
                return True
        elif _clause_opener(unit, english):
            boundary = True
        elif boundary and unit.kind in _NOUNS:
            return True
    before = max(index - 1, 0)
    if boundary:
        return nouns[before] > 0
    opener = scan.opener_en[before]  # the nearest clause opener further back
    return opener >= 0 and nouns[opener] > 0


def _antecedent_after(scan: _Scan, index: int) -> bool:
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


def _named_after(units: list[Unit], start: int) -> bool:
    """A name within a short prepositional phrase from `start` ("of Ollama", "for the Q4_K_M build")."""
    for unit in units[start : start + 4]:
        if unit.kind == "anchor":
            return True
        if unit.kind in ("break", "ref", "verb"):
            return False
    return False


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
    for i in range(1, len(units) - 1):
        # a comma may close the first option: "Q4_K_M, or Q8_0", "qwen2.5，还是 llama3"
        before = units[i - 2] if units[i - 1].kind == "break" and units[i - 1].text == "," and i >= 2 else units[i - 1]
        if units[i].kind == "connector" and before.kind in named and units[i + 1].kind in named:
            return True
    return False
