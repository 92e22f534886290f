"""Answers that count a passage's list wrongly: "there are 2 places where parameters can be set" where the passage
lists three, "`format` 有三种写法" for a list of two. A count names items, not a value (grounding_support.py's
`item_numbers` lets it pass the number check), and its noun and the rest of its words are the passage's, so overlap
and similarity pass it too.

Pure policy layer (stdlib), used by the grounding guardrail (grounding_checks.py). A passage list is counted only when
it is plainly whole: a lead line ending in a colon ("`FROM` accepts three kinds of source:", "常见情况：") directly
above two or more items, and a line of text after the last item (a list at the end of a chunk may go on in the
next one); a lead line that states a count itself must state the items' number. What the list counts: the terms of
the lead line's last sentence and of the heading it sits under. An answer sentence fires when it states "N <noun>"
(digits or a number word, N >= 2) about what some list counts (its noun is the lead's or heading's, or it names two
or more of the list's items), no such list has N items, and it says nothing that marks the count as a part ("two of
them", "the main 3", "such as", "其中", "等"). A sentence naming just N items counts those, unless it calls N a total
("there are", "一共").
A count equal to such a list's item count is supported by it (right_counts): the number check's passage may never
write the digit ("一共有 3 个部分", "It has 6 fields").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from guardrails.alignment import Contradiction
from guardrails.list_lines import ListLine, plain_item
from guardrails.sentences import sentences
from guardrails.text import content_terms, has_cjk, stem

_EN_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_EN = {w: i for i, w in enumerate(_EN_WORDS, start=2)}
_ZH = {c: i for i, c in enumerate("两三四五六七八九十", start=2)} | {"二": 2}
_NUM = r"\d{1,2}|" + "|".join(_EN)
_EN_COUNT = re.compile(
    rf"(?i)(?<![\w.,$/-])({_NUM})\b(?:\s+(?:different\s+|distinct\s+|separate\s+|possible\s+)?([a-z]+)(?:\s+of\s+([a-z]+))?)?"
)
_MEASURE = r"(?:种|个|类|条|项|点|步|层|处|方面)"
_ZH_COUNT = re.compile(rf"(?<![\d.])(\d{{1,2}}|[两二三四五六七八九十])\s*{_MEASURE}")
# Words that make a count a part of the list, or of something else: "two of them", "the main 3", "such as".
_PARTIAL = re.compile(
    r"(?i)\b(?:of\s+(?:them|these|those|the)|some|main|such\s+as|including|include|e\.g|for\s+example|at\s+least|"
    r"first|last|top|other|another|more|additional|also|besides|only\s+the|among)\b|例如|其中|比如|等|主要|至少|另|还有|前\s*(?:\d|[两二三四五六七八九十])|包括"
)
# Words that make a count the list's total, even when the sentence names only as many items as it counts.
_TOTAL = re.compile(r"(?i)\bthere\s+(?:are|were)\b|\b(?:in\s+total|altogether|exactly|only)\b|总共|一共|共有|共\s*\d|只有|仅有")
# Nouns that count anything; they name what a list counts only beside another of its terms.
_GENERIC = frozenset(
    stem(w)
    for w in (
        *("way", "place", "kind", "type", "option", "thing", "source", "level", "layer", "step", "method", "mode"),
        *("case", "form", "category", "value", "setting", "reason", "field", "flag", "point", "rule", "approach"),
        *("variant", "scheme", "item", "part", "choice", "situation"),
    )
)
_ZH_GENERIC = ("方式", "方法", "写法", "情况", "地方", "种类", "类型", "选项", "步骤", "原因", "层级")


@dataclass(frozen=True)
class CountedList:
    count: int
    terms: frozenset[str]  # what the list counts: its lead sentence's and heading's content terms
    lead: str
    items: tuple[frozenset[str], ...]  # each top-level item's content terms


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _EN.get(word.lower()) or _ZH.get(word, 0)


def _lead_count(lead: str) -> int | None:
    m = _ZH_COUNT.search(lead) or _EN_COUNT.search(lead)
    return _number(m.group(1)) if m else None


@lru_cache(maxsize=512)  # the passages come back answer after answer
def passage_lists(support: str) -> tuple[CountedList, ...]:
    """The plainly whole lists of a passage, each with its number of items and what it counts."""
    lines, fenced = [], False
    for line in support.split("\n"):  # code is no list
        fenced = fenced != line.lstrip().startswith("```")
        lines.append("" if fenced or line.lstrip().startswith("```") else line)
    found: list[CountedList] = []
    heading = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if (" > " in line and not plain_item(line)) or line.lstrip().startswith("#"):
            heading = re.split(r" > |#+\s*", line)[-1]
        m = plain_item(line)
        above = i - 1 if i and lines[i - 1].strip() else i - 2  # the lead line, maybe a blank line above the list
        if not m or above < 0 or not lines[above].rstrip().endswith((":", "：")) or plain_item(lines[above]):
            i += 1
            continue
        indent, j, items = m.indent, i, []
        while j < len(lines) and (mj := plain_item(lines[j]) or (lines[j].startswith(" ") and lines[j].strip())):
            if isinstance(mj, ListLine) and mj.indent <= indent:
                items.append(_terms(lines[j]))
            j += 1
        count = len(items)
        after = [x for x in lines[j : j + 2] if x.strip()]
        closed = bool(after) and " > " not in after[0] and not after[0].lstrip().startswith("#")
        lead = sentences(lines[above].strip())[-1]
        stated = _lead_count(lead)
        if count >= 2 and ((closed and stated is None) or stated == count):
            terms = frozenset(content_terms(lead) | content_terms(heading))
            found.append(CountedList(count, terms, lead, tuple(items)))
        i = j
    return tuple(found)


def _terms(text: str) -> frozenset[str]:
    return frozenset(content_terms(text) | set(re.findall(r"\d{3,}", text)))


def _named_items(sentence: str, lst: CountedList) -> int:
    """How many of the list's items the sentence names by one of their own terms (in no other item)."""
    said = _terms(sentence)
    own = [item - frozenset().union(*(o for o in lst.items if o is not item)) for item in lst.items]
    return sum(bool(said & terms) for terms in own)


def _about(sentence: str, noun: str, of: str | None, lst: CountedList, n: int) -> bool:
    """Whether a count `n` of `noun` in `sentence` counts what `lst` counts: it names what the lead line or heading
    says the list counts, or (with no noun, or a generic one) names two or more of its items; a sentence that names
    just n of them counts what it names ("A 和 B 两种", a part) unless it calls n a total ("there are", "一共")."""
    named = _named_items(sentence, lst)
    if named >= 2 and named == n and not _TOTAL.search(sentence):
        return False
    if named >= 2 and (not noun or stem(noun.lower()) in _GENERIC):
        return True
    if has_cjk(sentence):
        shared = {t for t in content_terms(sentence) & lst.terms if not any(c in _ZH or c.isdigit() for c in t)}
        return bool(shared - set(_ZH_GENERIC)) or any(g in sentence and g in lst.lead for g in _ZH_GENERIC)
    noun = stem(noun.lower())
    if noun in lst.terms and noun not in _GENERIC:
        return True
    if of is not None and stem(of.lower()) in lst.terms:  # "three kinds of source"
        return True
    return noun in _GENERIC and bool((content_terms(sentence) - _GENERIC) & lst.terms)


Stated = tuple[str, str, int, tuple[CountedList, ...]]  # the sentence, the count's word, its number, its lists


@lru_cache(maxsize=256)  # asked twice per answer: by wrong_counts (a check) and right_counts (the number check)
def _stated_counts(answer: str, support: str) -> tuple[Stated, ...]:
    """Each count an answer sentence states about what some whole passage list counts: the sentence, the count's
    word, its number and the lists it is about (sentences that mark a count as a part are left out)."""
    lists = passage_lists(support)
    if not lists:
        return ()
    found: list[Stated] = []
    told = sentences(answer)
    for k, sentence in enumerate(told):
        if sentence.rstrip().endswith((":", "：")) and k + 1 < len(told):  # "There are 4: A, B and C."
            sentence = f"{sentence} {told[k + 1]}"
        if _PARTIAL.search(sentence):
            continue
        counts: list[tuple[str, str, str | None]]
        if has_cjk(sentence):
            counts = [(m.group(1), "", None) for m in _ZH_COUNT.finditer(sentence)]
        else:
            counts = [(m.group(1), m.group(2) or "", m.group(3)) for m in _EN_COUNT.finditer(sentence)]
        for word, noun, of in counts:
            n = _number(word)
            about = tuple(lst for lst in lists if n >= 2 and _about(sentence, noun, of, lst, n))
            if about:
                found.append((sentence, word, n, about))
    return tuple(found)


def wrong_counts(answer: str, support: str) -> list[Contradiction]:
    """Answer sentences that give a passage list's items another count than the list has."""
    found: list[Contradiction] = []
    for sentence, word, n, about in _stated_counts(answer, support):
        if all(lst.count != n for lst in about) and not any(c.claim == sentence for c in found):
            found.append(Contradiction(sentence, about[0].lead, "list_count", (word, str(about[0].count))))
    return found


def right_counts(answer: str, support: str) -> set[str]:
    """The numbers an answer states as the item count of a whole passage list it counts ("一共有 3 个部分", "It has 6
    fields"): what the passage shows, though it may never write the digit."""
    return {str(n) for _, _, n, about in _stated_counts(answer, support) if any(lst.count == n for lst in about)}
