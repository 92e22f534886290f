"""Numbers an answer states in words, and values it binds to a name the passage binds to another value.

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py. `text_numbers.numbers()`
reads digits only, so "重试五次" or "waits thirty seconds" passed the number check whatever the passage said;
and a clause "temperature 默认是 0.9" shares one word with the passage's "`temperature` 0.8" (the 0.9 being
top_p's), too few for the clause alignment of polarity.py, so a value taken from the next key went unseen.
Two slash lists side by side ("41%/59% CPU/GPU") pair their items in order; an answer that gives one of the values
to the other name ("41% on the GPU") keeps every number and word of the passage.
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.alignment import Contradiction
from guardrails.marking import NEGATION, Marked, mark, passage_clauses
from guardrails.sentences import clauses
from guardrails.text_numbers import canonical_number, numbers

_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_NUMERAL = "[零一二两三四五六七八九十百千万]+"
# A numeral in words is read as a number only before a unit ("五次", "两秒", "twenty seconds", "three times"): the
# same characters are everywhere in ordinary words (统一, 万一, 千万, 十分, 三思), and a count of listed things
# ("两种方法", "三个步骤", "two options") is the answer's own summary, not a value it takes from the passage.
_ZH_UNIT = r"(?:次|遍|轮|秒|毫秒|分钟|小时|天|周|个月|年|倍|核|层|比特|GB|MB|KB|TB|GiB|MiB|G|M|K|B|token)"
# A match starts only where a run of numerals starts: it can only end where the run ends (no unit is a numeral), so
# a later start in the same run finds nothing new, and trying every one made a long run quadratic.
_ZH_RE = re.compile(rf"(?<![零一二两三四五六七八九十百千万]){_ZH_NUMERAL}(?=\s*(?:[到至~～\-–—]\s*{_ZH_NUMERAL}\s*)?{_ZH_UNIT})")
_EN_NUMBER = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
}
EN_NUMBER = _EN_NUMBER  # the English number words, for units.py (one is left out: "one of", "the one")
_EN_UNIT = (
    r"(?:times|retries|attempts|seconds|secs|minutes|mins|hours|days|weeks|months|years|percent|cores|threads|"
    r"layers|bits|tokens|GB|MB|KB|TB|GiB|MiB|gigabytes|megabytes)"
)
# One is left out ("one of", "the one"); "to"/"or" join a range whose first word has no unit of its own.
_EN_RE = re.compile(
    rf"\b({'|'.join(_EN_NUMBER)})\b(?=(?:\s+(?:to|or|-)\s+(?:{'|'.join(_EN_NUMBER)}))?\s+{_EN_UNIT}\b)", re.IGNORECASE
)


def zh_value(numeral: str) -> int | None:
    """The value of a Chinese numeral (两 = 2, 十二 = 12, 三百五十 = 350, 两万 = 20000); None when it is not one
    number ("两三" is a vague range, "十几" no value)."""
    total, section, digit = 0, 0, None
    for char in numeral:
        if char == "零":  # a placeholder between units (一千零二十四)
            continue
        if char in _ZH_DIGITS:
            if digit is not None:
                return None  # two digits in a row: 两三, 三五
            digit = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[char]
            digit = None
        else:  # 万
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
    return total + section + (digit or 0)


def spelled_numbers(text: str) -> list[str]:
    """Numbers written as words before a unit ("五次" -> 5, "twenty seconds" -> 20), canonical like text_numbers.numbers(),
    distinct. One is left out in both languages: 一次 and "one of" paraphrase far more often than they count."""
    values = [zh_value(m.group()) for m in _ZH_RE.finditer(text)]
    values += [_EN_NUMBER[m.group(1).lower()] for m in _EN_RE.finditer(text)]
    return list(dict.fromkeys(canonical_number(str(v)) for v in values if v is not None and v != 1))


def all_numbers(text: str) -> set[str]:
    """Every number of a text, in digits or in words: what a number in the answer may be found among."""
    return set(numbers(text)) | set(spelled_numbers(text))


def _key_value(unit: Marked) -> str | None:
    """The one name of a passage clause that is nothing but a name and its value ("`temperature` 0.8",
    "`OLLAMA_MAX_QUEUE` | 512"); None for any other clause. One shared word is alignment enough with such a clause:
    it has nothing else to share."""
    if len(unit.tokens) != 1 or len(unit.numbers) != 1:
        return None
    (name,) = unit.tokens
    return name if len(name) >= 4 and name.isascii() else None


@lru_cache(maxsize=1024)  # the passages come back answer after answer
def _passage_keys(support: str) -> tuple[tuple[Marked, ...], tuple[tuple[str, Marked], ...]]:
    """Every marked clause of a passage, and each key-value clause's name with the first such clause."""
    units = passage_clauses(support)
    keyed: dict[str, Marked] = {}
    for unit in units:
        name = _key_value(unit)
        if name is not None:
            keyed.setdefault(name, unit)
    return units, tuple(keyed.items())


def rebound_values(answer: str, support: str) -> list[Contradiction]:
    """Answer clauses that give a name of a passage key-value clause another value than the passage gives it,
    when the passage never gives that name the answer's value: "temperature 默认是 0.9" against "`temperature` 0.8"."""
    units, pairs = _passage_keys(support)
    if not pairs:
        return []
    keyed = dict(pairs)
    found: list[Contradiction] = []
    for raw in clauses(answer):
        claim = mark(raw)
        for name in sorted(claim.tokens & keyed.keys()) if claim.numbers else ():
            # Every value any passage clause naming it gives: "temperature 0" is fine where a sentence says so.
            stated = {n for unit in units if name in unit.tokens for n in unit.numbers}
            if not claim.numbers & stated:  # none of the answer's values is one the passage gives this name
                theirs = sorted(keyed[name].numbers)
                found.append(Contradiction(raw, keyed[name].text, "value", (name, *sorted(claim.numbers), *theirs)))
    return found


# Two slash lists side by side pair their items in order, the way "respectively" does: "41%/59% CPU/GPU" gives 41%
# to the CPU and 59% to the GPU, "CPU/GPU 30%/70%" the same. A value is a number (a percentage too); a name a Latin
# word or a short run of Chinese characters.
_PAIR_VALUE = r"\d+(?:\.\d+)?\s*%?"
_PAIR_NAME = r"[A-Za-z][A-Za-z0-9+.-]*|[\u4e00-\u9fff]{1,6}"
_VALUE_LIST = rf"{_PAIR_VALUE}(?:\s*/\s*{_PAIR_VALUE})+"
_NAME_LIST = rf"(?:{_PAIR_NAME})(?:\s*/\s*(?:{_PAIR_NAME}))+"
_PAIRED = re.compile(
    rf"(?<![\w/.])(?:(?P<v1>{_VALUE_LIST})\s*(?P<n1>{_NAME_LIST})|(?P<n2>{_NAME_LIST})\s*(?P<v2>{_VALUE_LIST}))(?![\w/])"
)
# The parts of an answer that each can state one pairing: clauses, and the halves of "A and B" / "A 和 B".
_PAIR_PART = re.compile(r"[，、；;。！？!?\n]|,(?=\s)|\s+(?:and|while|whereas|but)\s+|和|而|但")
Pairing = tuple[tuple[str, str], ...]  # (value, name) of each item of two paired slash lists, names lower-cased


@lru_cache(maxsize=1024)  # the passages come back answer after answer
def slash_pairs(text: str) -> tuple[tuple[str, Pairing], ...]:
    """Each two paired slash lists of a text: their text, and each value with its name. Lists of unequal length, or
    with a value or a name twice, pair nothing."""
    found: list[tuple[str, Pairing]] = []
    for m in _PAIRED.finditer(text):
        values = numbers(m.group("v1") or m.group("v2"))
        names = [n.strip().strip(".+-").lower() for n in (m.group("n1") or m.group("n2")).split("/")]
        if len(values) == len(names) and len(set(values)) == len(values) and len(set(names)) == len(names):
            found.append((m.group(), tuple(zip(values, names, strict=True))))
    return tuple(found)


def _names_in(part: str, names: set[str]) -> set[str]:
    """The paired names a part of the answer gives, as whole words (case-insensitive)."""
    low = part.lower()
    return {n for n in names if re.search(rf"(?<![a-z0-9]){re.escape(n)}(?![a-z0-9])", low)}


def swapped_pairs(answer: str, support: str) -> list[Contradiction]:
    """Answer parts that give a value of a passage's paired slash lists to another of its names: "41% of the model
    runs on the GPU and 59% on the CPU" against "41%/59% CPU/GPU". A part counts only when it names exactly one of
    the paired values and one of the paired names, and negates nothing; the answer's own slash lists are compared
    item by item. Evidence: the value, the answer's name, the passage's name (own lists: values, then names)."""
    pairs = slash_pairs(support)
    if not pairs:
        return []
    found: list[Contradiction] = []
    own = [dict(pairing) for _, pairing in slash_pairs(answer)]
    for text, pairing in pairs:
        binding = dict(pairing)
        names = set(binding.values())
        for theirs in own:  # the answer's own "59%/41% CPU/GPU"
            wrong = sorted(v for v, n in theirs.items() if v in binding and n in names and binding[v] != n)
            if wrong:
                found.append(Contradiction(answer, text, "pair", (*wrong, *(theirs[v] for v in wrong))))
        for part in _PAIR_PART.split(answer):
            stated = set(numbers(part)) & binding.keys()
            named = _names_in(part, names)
            if len(stated) != 1 or len(named) != 1 or NEGATION.search(part) or _PAIRED.search(part):
                continue
            (value,), (name,) = stated, named
            if binding[value] != name:
                found.append(Contradiction(part.strip(), text, "pair", (value, name, binding[value])))
    return found
