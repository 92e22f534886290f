"""Numbers an answer keeps but measures in another unit: "默认 5 秒" against "默认 5 分钟", "4 MB" against "4 GB".

Pure policy layer (stdlib), used by the grounding guardrail. The number check finds 5 in the passage and passes;
the unit is where the fact changed. A stated quantity (number + unit of time or size) is contradicted when the
passage gives that number in another unit of the same kind and never in the answer's unit. Units are read in
both languages (5 分钟 = 5 minutes = 5 min), so a correct answer in another language keeps passing, and a number
the passage also gives in the answer's unit (5 seconds here, 5 minutes there) is not contradicted.
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.polarity import Contradiction, clauses
from guardrails.text import canonical_number

# Each unit's spellings -> (kind, canonical unit). Ambiguous spellings are left out: 分 (score), 月 and 年 (dates),
# M and B (millions and billions of parameters: 7B is a model size, not 7 bytes).
_UNITS: dict[str, tuple[str, str]] = {}
for _kind, _unit, _spellings in (
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
# A number standing on its own (not inside a name or a version), then its unit, which ends where a word ends.
_QUANTITY = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s*({_SPELLINGS})(?![A-Za-z])", re.IGNORECASE)


def quantities(text: str) -> list[tuple[str, str, str]]:
    """(number, kind, unit) of every number written with a unit of time or size, canonical: "5 分钟" and
    "5 minutes" are both ("5", "time", "min")."""
    found = []
    for m in _QUANTITY.finditer(text):
        kind, unit = _UNITS[m.group(2).lower()]
        found.append((canonical_number(m.group(1)), kind, unit))
    return found


@lru_cache(maxsize=1024)  # the passages come back answer after answer
def _passage_quantities(support: str) -> tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]:
    return tuple((c, tuple(quantities(c))) for c in clauses(support))


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
