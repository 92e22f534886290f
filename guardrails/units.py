"""Numbers an answer keeps but measures in another unit: "默认 5 秒" against "默认 5 分钟", "4 MB" against "4 GB".

Pure policy layer (stdlib), used by the grounding guardrail. The number check finds 5 in the passage and passes;
the unit is where the fact changed. A stated quantity (number + unit of time or size) is contradicted when the
passage gives that number in another unit of the same kind and never in the answer's unit. Units are read in
both languages (5 分钟 = 5 minutes = 5 min), so a correct answer in another language keeps passing, and a number
the passage also gives in the answer's unit (5 seconds here, 5 minutes there) is not contradicted. Quantities are
read as numbers() reads numbers, in the same text (text_numbers.readable) with the same number (text_numbers.NUMBER):
"３０ｓ", "１０ＧＢ" and "５．５ GB" are 30 s, 10 GB and 5.5 GB, "超时30秒" is 30 s (a CJK neighbour is no part of a
name), "2,048 MB" is 2048 MB. A comma is never a decimal point, as in numbers(): "1,5 GB" is 1 and 5 GB, so "1.5
GB" against it is a number the passage lacks and "5 MB" a changed unit. The evidence keeps the original wording: the
clauses as written, the quantities in their canonical ASCII form ("30 s").
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.alignment import Contradiction
from guardrails.sentences import clauses, sentences
from guardrails.text import content_terms
from guardrails.text_numbers import NUMBER, number_value, readable
from guardrails.values import EN_NUMBER as _EN_NUMBER
from guardrails.values import zh_value

# Each unit's spellings -> (kind, canonical unit). Ambiguous spellings are left out: 分 (score), 月 and 年 (dates),
# M and B (millions and billions of parameters: 7B is a model size, not 7 bytes).
_UNITS: dict[str, tuple[str, str]] = {}
for _kind, _unit, _spellings in (
    ("time", "ns", ("ns", "nanosecond", "nanoseconds", "纳秒")),
    ("time", "us", ("µs", "μs", "microsecond", "microseconds", "微秒")),
    ("time", "ms", ("ms", "msec", "millisecond", "milliseconds", "毫秒")),
    ("time", "s", ("s", "sec", "secs", "second", "seconds", "秒", "秒钟")),
    ("time", "min", ("min", "mins", "minute", "minutes", "分钟")),
    ("time", "h", ("h", "hr", "hrs", "hour", "hours", "小时", "个小时", "钟头")),
    ("time", "day", ("day", "days", "天")),
    ("time", "week", ("week", "weeks", "周", "星期", "个星期")),
    ("size", "KB", ("kb", "kib", "kilobyte", "kilobytes")),
    ("size", "MB", ("mb", "mib", "megabyte", "megabytes")),
    ("size", "GB", ("gb", "gib", "gigabyte", "gigabytes")),
    ("size", "TB", ("tb", "tib", "terabyte", "terabytes")),
):
    for _spelling in _spellings:
        _UNITS[_spelling] = (_kind, _unit)

_SPELLINGS = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
# A number standing on its own as numbers() reads it (not inside a name or a version, its sign kept: "-1 s" is
# not 1 s; CJK neighbours are fine: "超时30秒"), then its unit, which ends where a word ends. Not an ordinal (第3天
# is the third day), not after a fraction slash (NFKC writes "½" as "1⁄2", and "2" alone is not the value), not an
# exponent left unread ("10^9GB", "10**9GB": a power glued to letters is none, as in numbers(), and 9 GB is not the
# value; "**8 GB**" is bold).
_NUMBER_START = r"(?<!第)(?<!⁄)(?<!\^)(?<!\d\*\*)"
_QUANTITY = re.compile(rf"{_NUMBER_START}({NUMBER})\s*({_SPELLINGS})(?![A-Za-z])", re.IGNORECASE)


# A Chinese numeral before a unit of time ("一分钟", "两个小时", "三十秒"): starting where the run of numerals starts
# (几十分钟 and 十几秒 have no value; 第一天 is an ordinal), and 十分 alone is "very", not a unit.
_ZH_NUMERAL = "零一二两三四五六七八九十百千万"
_ZH_TIME = "|".join(
    sorted((re.escape(w) for w, (k, _) in _UNITS.items() if k == "time" and not w.isascii()), key=len, reverse=True)
)
_ZH_QUANTITY = re.compile(rf"(?<![{_ZH_NUMERAL}几第每])([{_ZH_NUMERAL}]+)(?![几多])\s*个?\s*({_ZH_TIME})")
# A number of a unit of time in English words: "five minutes", "an hour", "about a second" ("a second" only after a
# word of measure: "a second request" is an ordinal).
_EN_TIME = r"(?:milliseconds?|seconds?|minutes?|hours?|days?|weeks?)"
_EN_COUNT = re.compile(rf"\b({'|'.join(_EN_NUMBER)})\s+({_EN_TIME})\b", re.IGNORECASE)
_EN_ONE = re.compile(
    r"\b(?:(?:an?|one)\s+(minute|hour|day|week|millisecond)|"
    r"(?:about|around|roughly|approximately|under|over|within|than|just|only|in|for)\s+(?:an?|one)\s+(second))\b",
    re.IGNORECASE,
)


def quantities(text: str) -> list[tuple[str, str, str]]:
    """(number, kind, unit) of every number written with a unit of time or size, canonical: "5 分钟" and
    "5 minutes" are both ("5", "time", "min"), a power is one value ("1e9 ns" and "10^9 纳秒" are ("1000000000",
    "time", "ns"), as in numbers()); numbers in words count too: "一分钟" and "about a minute" are ("1", "time",
    "min"), "five seconds" and "五秒" ("5", "time", "s")."""
    found = []
    text = readable(text)
    for m in _QUANTITY.finditer(text):
        kind, unit = _UNITS[m.group(2).lower()]
        found.append((number_value(m.group(1)), kind, unit))
    for m in _ZH_QUANTITY.finditer(text):
        value = zh_value(m.group(1))
        if value is not None:
            found.append((str(value), *_UNITS[m.group(2)]))
    for m in _EN_ONE.finditer(text):
        found.append(("1", *_UNITS[(m.group(1) or m.group(2)).lower()]))
    for m in _EN_COUNT.finditer(text):
        found.append((str(_EN_NUMBER[m.group(1).lower()]), *_UNITS[m.group(2).lower()]))
    return found


@lru_cache(maxsize=1024)  # the passages come back answer after answer
def _passage_quantities(support: str) -> tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]:
    """Each passage clause and its quantities, Go durations (`30m`, _DURATION_MIN) among them: "30 秒" against
    "`--keepalive 30m` controls how long the model stays loaded" is a changed unit."""
    return tuple((c, (*quantities(c), *_durations(c))) for c in clauses(support))


def _durations(text: str) -> list[tuple[str, str, str]]:
    """(number, "time", "min") of every Go duration in minutes of `text` (`30m`; not the 30 of `1h30m`)."""
    return [(number_value(m.group(1)), "time", "min") for m in _DURATION_MIN.finditer(readable(text))]


def changed_units(answer: str, support: str) -> list[Contradiction]:
    """Answer clauses that give a number of the passage in another unit of the same kind, when the passage never
    gives that number in the answer's unit. Evidence: the answer's quantity, then the passage's."""
    passage = _passage_quantities(support)
    given = {q for _, qs in passage for q in qs}
    found: list[Contradiction] = []
    for raw in clauses(answer):
        for number, kind, unit in dict.fromkeys(quantities(raw)):
            if (number, kind, unit) in given:
                continue
            other = next(((text, u) for text, qs in passage for n, k, u in qs if n == number and k == kind and u != unit), None)
            if other is not None:
                found.append(Contradiction(raw, other[0], "unit", (f"{number} {unit}", f"{number} {other[1]}")))
    return found


# Units named without a number ("all in nanoseconds", "单位是毫秒", "per billion parameters"): the spelled-out words
# only, never a letter or a character that is also an ordinary word (s, h, 秒 of 每秒, 天 of 今天, "second" the
# ordinal). Scales of a count are units too: "0.5 GB per million parameters" is not "per billion".
_NAMED: dict[str, tuple[str, str]] = {}
for _named_kind, _named_unit, _words in (
    ("time", "ns", ("nanosecond", "nanoseconds", "纳秒")),
    ("time", "us", ("microsecond", "microseconds", "微秒")),
    ("time", "ms", ("millisecond", "milliseconds", "毫秒")),
    ("time", "s", ("seconds", "秒钟")),
    ("time", "min", ("minutes", "分钟")),
    ("time", "h", ("hours", "小时")),
    ("size", "KB", ("kilobyte", "kilobytes")),
    ("size", "MB", ("megabyte", "megabytes")),
    ("size", "GB", ("gigabyte", "gigabytes")),
    ("size", "TB", ("terabyte", "terabytes")),
    ("scale", "1e3", ("thousand", "thousands")),
    ("scale", "1e6", ("million", "millions", "百万")),
    ("scale", "1e9", ("billion", "billions", "十亿")),
    ("scale", "1e12", ("trillion", "trillions", "万亿")),
):
    for _word in _words:
        _NAMED[_word] = (_named_kind, _named_unit)
_NAMED_RE = re.compile(
    r"(?<![A-Za-z])(?:" + "|".join(sorted(map(re.escape, _NAMED), key=len, reverse=True)) + r")(?![A-Za-z])",
    re.IGNORECASE,
)


def named_units(text: str) -> set[tuple[str, str]]:
    """(kind, unit) of every unit the text names, with a number or in words."""
    found = {(kind, unit) for _, kind, unit in quantities(text)}
    return found | {_NAMED[m.group().lower()] for m in _NAMED_RE.finditer(readable(text))}


# Durations as Go writes them (`5m`, `10m`, `1h30m`): m is minutes there. Read on the passage side only: by
# renamed_units, where reading too much can only keep a unit from counting as changed, and by changed_units, where
# an answer must then give the number in minutes or in a unit the passage also gives it in.
_DURATION_MIN = re.compile(rf"{_NUMBER_START}({NUMBER})m(?![A-Za-z])")


@lru_cache(maxsize=1024)
def _passage_units(support: str) -> frozenset[tuple[str, str]]:
    minutes = {("time", "min")} if _DURATION_MIN.search(readable(support)) else set()
    return frozenset(named_units(support) | minutes)


def renamed_units(answer: str, support: str) -> list[Contradiction]:
    """Answer sentences that name a unit in words ("in microseconds", "以毫秒为单位", "per million") the passage never
    names, where a passage line they restate (two content terms shared, the unit words aside) names another unit of
    the same kind: the unit of what the answer restates changed, with or without a number. Evidence: the answer's
    unit, then the passage's units of that kind (kind `unit_name`; the sentence is that passage line)."""
    given = _passage_units(support)
    found: list[Contradiction] = []
    for raw in sentences(answer):
        read = readable(raw)
        terms = content_terms(_NAMED_RE.sub(" ", read))
        for m in _NAMED_RE.finditer(read):
            kind, unit = _NAMED[m.group().lower()]
            theirs = sorted(u for k, u in given if k == kind)
            if (kind, unit) in given or not theirs:
                continue
            line = next((text for text, kinds, words in _unit_lines(support) if kind in kinds and len(terms & words) >= 2), None)
            if line is not None:
                found.append(Contradiction(raw, line, "unit_name", (unit, *theirs)))
                break
    return found


@lru_cache(maxsize=1024)
def _unit_lines(support: str) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """Each passage line naming a unit: its text, the kinds of unit it names, its content terms without unit words."""
    lines = (line.strip() for line in support.splitlines())
    return tuple(
        (line, frozenset(k for k, _ in named_units(line)), frozenset(content_terms(_NAMED_RE.sub(" ", readable(line)))))
        for line in lines
        if line and named_units(line)
    )
