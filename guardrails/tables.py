"""Claims that give the name of one table row what another row of the passage's table says: "nomic-embed-text 输出
1024 维" where its row says 768 and the next row 1024, "mxbai-embed-large 适合中英文混合检索" where that is the
bge-m3 row's cell.

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/values.py. Every number and word of
such an answer is in the passage (token overlap, the similarity signal and the number check pass it), and the
sentence alignment of polarity.py leaves table rows out: a row's words are in its header. A row is bound to its
first cell, its name; an answer sentence naming exactly one row's name is compared with that row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from guardrails.alignment import Contradiction
from guardrails.sentences import clauses, sentences
from guardrails.text import content_terms, normalize, numbers

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}")
# A row name that cannot be an ordinary word of a sentence: it holds a digit, or a - _ . : between its letters
# (nomic-embed-text, OLLAMA_HOST, Q4_K_M, 13B); `run`, `stop` or `temperature` are also words of prose.
_NAME_LIKE = re.compile(r"\d|[A-Za-z0-9][-_.:][A-Za-z0-9]")
MIN_BORROWED = 2  # terms only another row holds: one shared word (or one Chinese character pair) can be chance


@dataclass(frozen=True)
class Row:
    name: str  # the first cell, normalized, without its marks
    terms: frozenset[str]  # content terms of the other cells
    numbers: frozenset[str]  # numbers of the other cells
    text: str


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]
    elsewhere: frozenset[str]  # content terms of headers and prose: words a row does not own


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


@lru_cache(maxsize=1024)  # the passages come back answer after answer
def passage_table(support: str) -> Table:
    """The rows of the passage's tables with a name-like first cell, and the terms of everything else."""
    lines = support.splitlines()
    rows: list[Row] = []
    elsewhere: set[str] = set()
    for i, line in enumerate(lines):
        header = i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]) is not None
        if not line.lstrip().startswith("|") or header or _SEPARATOR.match(line):
            elsewhere |= content_terms(line)
            continue
        cells = _cells(line)
        name = normalize(cells[0].replace("`", "").replace("*", "")).strip()
        rest = " ".join(cells[1:])
        if len(cells) < 2 or not _NAME_LIKE.search(name):
            elsewhere |= content_terms(line)
            continue
        rows.append(Row(name, frozenset(content_terms(rest) - content_terms(name)), frozenset(numbers(rest)), line.strip()))
    return Table(tuple(rows), frozenset(elsewhere))


def _name_in(text: str, row: Row) -> re.Match[str] | None:
    """Where the normalized text names the row as a whole name ("13b 以上" in "13B 以上的模型", not "q4" in "q4_k_m")."""
    return re.search(r"(?<![a-z0-9_.-])" + re.escape(row.name) + r"(?![a-z0-9_-])", normalize(text))


def _after_name(clause: str, row: Row) -> str:
    """The normalized clause after the row's name ("" when it does not name it)."""
    m = _name_in(clause, row)
    return normalize(clause)[m.end() :] if m else ""


def borrowed_cells(answer: str, support: str) -> list[Contradiction]:
    """Answer sentences that name exactly one row and give it a number only other rows give (its own row giving
    another), or at least MIN_BORROWED words that only other rows hold (not its own, not a header, not the prose).
    Evidence: the row's name, then the borrowed numbers or words."""
    table = passage_table(support)
    if len(table.rows) < 2:
        return []
    found: list[Contradiction] = []
    for raw in sentences(answer):
        named = {r.name: r for r in table.rows if _name_in(raw, r)}
        if len(named) != 1 or any(raw.strip() in r.text for r in table.rows):
            continue  # no row, a comparison of several, or words of a row quoted
        (row,) = named.values()
        others = [r for r in table.rows if r.name != row.name]
        # Numbers clause by clause, after the name: "nomic-embed-text 768 维，另外两个是 1024 维" gives the row its own
        # number, and "-1 means num_ctx" gives num_ctx nothing.
        stated = {n for c in clauses(raw) for n in numbers(_after_name(c, row))} - set(numbers(row.name))
        other_numbers = {n for r in others for n in r.numbers} - row.numbers
        if (stated & other_numbers) and (row.numbers - stated):
            found.append(Contradiction(raw, row.text, "row", (row.name, *sorted(stated & other_numbers))))
            continue
        other_terms = {t for r in others for t in r.terms}
        borrowed = (content_terms(raw) & other_terms) - row.terms - table.elsewhere - content_terms(row.name)
        if len(borrowed) >= MIN_BORROWED:
            found.append(Contradiction(raw, row.text, "row", (row.name, *sorted(borrowed))))
    return found
