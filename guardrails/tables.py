"""Claims that give one table row what another row of the passage's table says: "nomic-embed-text 输出 1024 维"
where its row says 768 and the next row 1024, "mxbai-embed-large 适合中英文混合检索" where that is the bge-m3 row's
cell, "About 7.2 GB for a 7B model at Q4_K_M" (the number before the name), or "执行 sudo systemctl status ollama
就可以持续跟踪日志" (the row named by its command, given the 查看日志 row's purpose).

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/values.py. Every number and word of
such an answer is in the passage (token overlap, the similarity signal and the number check pass it), and the
sentence alignment of polarity.py leaves table rows out: a row's words are in its header. A row is bound to its
first cell, its name, when that is name-like or a Chinese label; an answer sentence naming exactly one row's name
is compared with that row. A sentence that names no row so can name one by a command or value it shows in code
(the table read the other way round). A key–value list ("- **Q8**: about 1 GB …") is read as rows too
(list_rows.py), and a sentence naming several rows in turn ("Q4 0.5 GB, Q8 2 GB") is cut at each name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from guardrails.alignment import Contradiction
from guardrails.list_rows import answer_pieces, list_item
from guardrails.sentences import clauses, sentences
from guardrails.text import cjk_chars, content_terms, normalize
from guardrails.text_numbers import numbers
from guardrails.units import quantities

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}")
# A row name that cannot be an ordinary word of a sentence: it holds a digit, or a - _ . : between its letters
# (nomic-embed-text, OLLAMA_HOST, Q4_K_M, 13B); `run`, `stop` or `temperature` are also words of prose. A Chinese
# label of two or more characters and nothing else (查看日志, 输出校验失败) names its row as well.
_NAME_LIKE = re.compile(r"\d|[A-Za-z0-9][-_.:][A-Za-z0-9]")
_LATIN = re.compile(r"[A-Za-z]")
_CODE_CELL = re.compile(r"^`[^`]+`$")
MIN_BORROWED = 2  # terms only another row holds: one shared word (or one Chinese character pair) can be chance
MAX_LABEL_TERMS = 4  # a cell of at most this many terms is a label: another row's label given instead is a swap


@dataclass(frozen=True)
class Row:
    name: str  # the naming cell, normalized, without its marks
    terms: frozenset[str]  # content terms of the other cells
    numbers: frozenset[str]  # numbers of the other cells
    text: str
    cells: tuple[str, ...] = ()  # every cell, normalized, without marks (column by column)
    key: int = 0  # the column of the naming cell


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]  # named by their first cell
    elsewhere: frozenset[str]  # content terms of headers and prose: words a row does not own
    by_code: tuple[Row, ...] = ()  # the same table named by a code cell of another column


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _bare(cell: str) -> str:
    return normalize(cell.replace("`", "").replace("*", "")).strip()


def _names_row(first: str) -> bool:
    return _NAME_LIKE.search(first) is not None or (len(cjk_chars(first)) >= 2 and not _LATIN.search(first))


def _row(cells: list[str], key: int, line: str) -> Row:
    bare = tuple(_bare(c) for c in cells)
    rest = " ".join(c for i, c in enumerate(bare) if i != key)
    return Row(bare[key], frozenset(content_terms(rest) - content_terms(bare[key])), frozenset(numbers(rest)), line, bare, key)


@lru_cache(maxsize=1024)  # the passages come back answer after answer
def passage_table(support: str) -> Table:
    """The rows of the passage's tables named by their first cell or by a code cell, and the terms of the rest."""
    lines = support.splitlines()
    rows: list[Row] = []
    by_code: list[Row] = []
    elsewhere: set[str] = set()
    for i, line in enumerate(lines):
        header = i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]) is not None
        item = list_item(line)
        if item and _names_row(_bare(item[0])):
            rows.append(_row(list(item), 0, line.strip()))  # a key–value list item: a row of two cells
            continue
        cells = _cells(line)
        if not line.lstrip().startswith("|") or header or _SEPARATOR.match(line) or len(cells) < 2:
            elsewhere |= content_terms(line)
            continue
        codes = [k for k, c in enumerate(cells) if k and _CODE_CELL.match(c) and (" " in c or _NAME_LIKE.search(c))]
        by_code += [_row(cells, k, line.strip()) for k in codes]
        if _names_row(_bare(cells[0])):
            rows.append(_row(cells, 0, line.strip()))
        elif not codes:
            elsewhere |= content_terms(line)
    return Table(tuple(rows), frozenset(elsewhere), tuple(by_code))


def _name_in(text: str, row: Row) -> re.Match[str] | None:
    """Where the normalized text names the row as a whole name ("13b 以上" in "13B 以上的模型", not "q4" in "q4_k_m")."""
    return re.search(r"(?<![a-z0-9_.-])" + re.escape(row.name) + r"(?![a-z0-9_-])", normalize(text))


def _stated(clause: str, row: Row) -> list[str]:
    """The numbers a clause gives the row: after its name, or, with none there, a quantity before it ("about
    7.2 GB for a 7B model at Q4_K_M"; a bare number before it, "-1 means num_ctx", names a setting, not the row's
    value); none when the clause does not name it."""
    m = _name_in(clause, row)
    if not m:
        return []
    text = normalize(clause)
    return numbers(text[m.end() :]) or [q[0] for q in quantities(text[: m.start()])]


def _label_swap(said: set[str], row: Row, others: list[Row], elsewhere: frozenset[str]) -> tuple[str, ...]:
    """Terms of another row's short label cell the sentence gives the row, saying none of its own label in that
    column (查看日志 for 查看状态: 日志 said, 状态 not)."""
    owned = row.terms | content_terms(row.name)
    for col, own in enumerate(row.cells):
        mine = content_terms(own)
        if col == row.key or not 0 < len(mine) <= MAX_LABEL_TERMS:
            continue
        for other in others:
            theirs = content_terms(other.cells[col]) if col < len(other.cells) else set()
            given = (theirs - owned - elsewhere) & said
            if given and len(theirs) <= MAX_LABEL_TERMS and (mine - theirs) and not (mine - theirs) & said:
                return tuple(sorted(given))
    return ()


def _names_in_cells(row: Row, other: Row) -> bool:
    return _name_in(" ".join(c for i, c in enumerate(row.cells) if i != row.key), other) is not None


def _others(row: Row, rows: tuple[Row, ...]) -> list[Row]:
    # A row whose cells name this one ("very close to Q8_0") says something of it: its words are not borrowed.
    return [r for r in rows if r.name != row.name and not _names_in_cells(r, row)]


def _borrowed_number(raw: str, row: Row, others: list[Row]) -> Contradiction | None:
    # Numbers clause by clause, beside the name: "nomic-embed-text 768 维，另外两个是 1024 维" gives the row its own
    # number, and "-1 means num_ctx" gives num_ctx nothing.
    stated = {n for c in clauses(raw) for n in _stated(c, row)} - set(numbers(row.name))
    other_numbers = {n for r in others for n in r.numbers} - row.numbers
    if (stated & other_numbers) and (row.numbers - stated):
        return Contradiction(raw, row.text, "row", (row.name, *sorted(stated & other_numbers)))
    return None


def _check(raw: str, row: Row, rows: tuple[Row, ...], elsewhere: frozenset[str]) -> Contradiction | None:
    others = _others(row, rows)
    hit = _borrowed_number(raw, row, others)
    if hit:
        return hit
    said = content_terms(raw)
    other_terms = {t for r in others for t in r.terms | content_terms(r.name)}
    borrowed = (said & other_terms) - row.terms - elsewhere - content_terms(row.name)
    if len(borrowed) >= MIN_BORROWED:
        return Contradiction(raw, row.text, "row", (row.name, *sorted(borrowed)))
    swapped = _label_swap(said, row, others, elsewhere)
    return Contradiction(raw, row.text, "row", (row.name, *swapped)) if swapped else None


def _listed(raw: str, named: list[Row], rows: tuple[Row, ...]) -> list[Contradiction]:
    """A sentence naming several rows in turn ("Q4 takes 0.5 GB, Q8 about 2 GB"): each name with the text up to the
    next one, compared by number only (the words between two names can be said of either)."""
    text = normalize(raw)
    at = sorted(((m.start(), r) for r in named if (m := _name_in(text, r)) is not None), key=lambda p: p[0])
    ends = [start for start, _ in at[1:]] + [len(text)]
    hits = (_borrowed_number(text[start:end], row, _others(row, rows)) for (start, row), end in zip(at, ends, strict=True))
    return [Contradiction(raw, h.sentence, h.kind, h.terms) for h in hits if h]


def borrowed_cells(answer: str, support: str) -> list[Contradiction]:
    """Answer sentences that name exactly one row and give it a number only other rows give (its own row giving
    another), at least MIN_BORROWED words that only other rows hold (not its own, not a header, not the prose), or
    another row's label in a column of short labels. Evidence: the row's name, then the borrowed numbers or words."""
    table = passage_table(support)
    found: list[Contradiction] = []
    for raw in answer_pieces(answer, sentences(answer)):
        if any(raw.strip() in r.text for r in table.rows + table.by_code):
            continue  # words of a row quoted
        for rows in (table.rows, table.by_code):  # by a first cell; else by a code cell
            named = {r.name: r for r in rows if _name_in(raw, r)}
            if named:
                break
        if len(rows) < 2 or not named:
            continue  # no row
        if len(named) > 1:
            found += _listed(raw, list(named.values()), rows)
            continue
        (row,) = named.values()
        hit = _check(raw, row, rows, table.elsewhere)
        if hit:
            found.append(hit)
    return found
