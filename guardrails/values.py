"""Numbers an answer states in words, and values it binds to a name the passage binds to another value.

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py. `text.numbers()`
reads digits only, so "重试五次" or "waits thirty seconds" passed the number check whatever the passage said;
and a clause "temperature 默认是 0.9" shares one word with the passage's "`temperature` 0.8" (the 0.9 being
top_p's), too few for the clause alignment of polarity.py, so a value taken from the next key went unseen.
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.polarity import Contradiction, Marked, clauses, mark, passage_clauses
from guardrails.text import canonical_number, numbers

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
    """Numbers written as words before a unit ("五次" -> 5, "twenty seconds" -> 20), canonical like text.numbers(),
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
