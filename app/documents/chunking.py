"""Split a document's text into retrieval chunks along Chinese/English sentence and markdown structure.

App layer, pure: no I/O, no models. The ingest path calls `chunk_text`; the index stores the drafts.

Markdown is read line by line as CommonMark reads it where it matters here: ATX headings and code fences (spec
0.31 rules; tests check fences against markdown-it-py). Lines end at "\\n" only ("\\r\\n" and "\\r" are normalised
to it first); a form feed, U+2028 and the other breaks str.splitlines knows are characters within a line.

Chunk ids: `sha256(source + "\\0" + text).hexdigest()[:16]` (64 bits, stable while the document's
text is unchanged). A chunk whose exact text repeats inside the same document gets the occurrence
number mixed in: `sha256(source + "\\0" + text + "\\0" + str(n))[:16]` for the n-th repeat (n >= 1),
so ids stay unique within a document and stable across re-ingests of the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guardrails.text_quotes import closes_fence, fence_opening

HEADING_SEPARATOR = " > "
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_CLOSERS = "”’\"'」』）)\\]"
# A sentence ends after CJK terminators (no space follows them in Chinese), after ASCII ones only
# when whitespace follows (so "v1.2", "a.b.c" and URLs with "?" stay whole), or at a line break
# (list items and table rows are line-shaped).
_BOUNDARY = re.compile(rf"[。！？；]+[{_CLOSERS}]*|[.!?;]+[{_CLOSERS}]*(?=\s|$)|\n")


class ChunkDraft(BaseModel):
    """A chunk before embedding: what the index stores besides the vector."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chunk_id: str = Field(description="Stable id, see the module docstring.")
    text: str = Field(description="Heading path line (if any), then the chunk body.")
    heading: str = Field(description='Markdown heading path, e.g. "Install > Linux"; "" before any heading.')
    ordinal: int = Field(ge=0, description="Position of the chunk in its document.")
    start: int = Field(ge=0, description="Character offset of the body in the document text.")


@dataclass(frozen=True)
class _Unit:
    """An unbreakable span of the text: a sentence, a whole code fence, or a forced piece of either."""

    start: int
    end: int
    kind: Literal["sentence", "code", "piece"]


@dataclass
class _Section:
    heading: str
    budget: int  # max_chars minus the heading prefix line
    units: list[_Unit]

    @classmethod
    def under(cls, heading: str, max_chars: int) -> _Section:
        return cls(heading, max_chars - (len(heading) + 1 if heading else 0), [])


def chunk_id(source: str, text: str, occurrence: int = 0) -> str:
    key = source + "\0" + text + (f"\0{occurrence}" if occurrence else "")
    # surrogatepass: a lone surrogate (a file name that is not UTF-8, as Python keeps it) hashes instead of raising
    # UnicodeEncodeError, which aborted the whole ingest; any other text hashes to the same UTF-8 bytes as before.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _hard_split(text: str, start: int, end: int, budget: int) -> list[_Unit]:
    """Cut an over-long span into pieces <= budget, preferring a line break or space near the end."""
    pieces: list[_Unit] = []
    while end - start > budget:
        window = text[start : start + budget]
        cut = max(window.rfind("\n"), window.rfind(" "))
        cut = cut + 1 if cut >= budget * 0.6 else budget  # CJK has no spaces: cut at the budget
        s, e = _trimmed(text, start, start + cut)
        if e > s:
            pieces.append(_Unit(s, e, "piece"))
        start = start + cut
    s, e = _trimmed(text, start, end)
    if e > s:
        pieces.append(_Unit(s, e, "piece"))
    return pieces


def _sentences(text: str, start: int, end: int, budget: int) -> list[_Unit]:
    units: list[_Unit] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        units.extend(_span(text, cursor, match.end(), budget, "sentence"))
        cursor = match.end()
    units.extend(_span(text, cursor, end, budget, "sentence"))
    return units


def _span(text: str, start: int, end: int, budget: int, kind: Literal["sentence", "code"]) -> list[_Unit]:
    s, e = _trimmed(text, start, end)
    if e <= s:
        return []
    return [_Unit(s, e, kind)] if e - s <= budget else _hard_split(text, s, e, budget)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line without its "\\n") of each line. Lines end at "\\n" only, the one line ending left after
    chunk_text's normalisation ("\\r\\n" and "\\r" become "\\n", as CommonMark reads them): a form feed, vertical
    tab, \\x1c-\\x1e, \\x85, U+2028 or U+2029 is a character inside a line (it is whitespace: trimmed at a chunk's
    edges, a sentence boundary's space). str.splitlines would split there, so text after a line separator could
    start a heading or a fence that no markdown reader sees."""
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def _sections(text: str, max_chars: int) -> list[_Section]:
    """Walk the lines once: headings open sections, fences are atomic, paragraphs split into sentences."""
    sections = [_Section.under("", max_chars)]
    stack: list[tuple[int, str]] = []
    para_start: int | None = None
    fence: str | None = None  # the opening fence while inside a code block (guardrails.text_quotes reads fences)
    fence_start = 0
    for line_start, body in _lines(text):
        if fence is not None:
            if closes_fence(body, fence):
                sections[-1].units.extend(_span(text, fence_start, line_start + len(body), sections[-1].budget, "code"))
                fence = None
            continue
        opened = fence_opening(body)
        heading = _HEADING.match(body) if not opened else None
        if (opened or heading or not body.strip()) and para_start is not None:
            sections[-1].units.extend(_sentences(text, para_start, line_start, sections[-1].budget))
            para_start = None
        if opened:
            fence, fence_start = opened, line_start
        elif heading:
            level, title = len(heading.group(1)), (heading.group(2) or "").strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            # Capped so that a long heading path never eats the chunk budget.
            path = HEADING_SEPARATOR.join(t for _, t in stack if t)[: max_chars // 4]
            sections.append(_Section.under(path, max_chars))
        elif body.strip() and para_start is None:
            para_start = line_start
    if fence is not None:  # an unclosed fence runs to the end of the document, as in CommonMark
        sections[-1].units.extend(_span(text, fence_start, len(text), sections[-1].budget, "code"))
    elif para_start is not None:
        sections[-1].units.extend(_sentences(text, para_start, len(text), sections[-1].budget))
    return [s for s in sections if s.units]


def _body(text: str, units: list[_Unit]) -> str:
    # The original slice keeps the document's own spacing and fences; runs of blank lines collapse.
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text[units[0].start : units[-1].end])


def _pack(units: list[_Unit], *, target: int, budget: int) -> list[list[_Unit]]:
    """Greedy packing to ~target chars (never over budget), carrying one sentence of overlap."""
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []

    def size(group: list[_Unit]) -> int:
        return group[-1].end - group[0].start

    for unit in units:
        if not current:
            current = [unit]
            continue
        grown = size([*current, unit])
        if grown <= target or (size(current) < target // 2 and grown <= budget):
            current.append(unit)
            continue
        groups.append(current)
        last = current[-1]
        # Overlap only a short prose sentence: repeating code or a forced piece just wastes budget.
        carry = last.kind == "sentence" and last.end - last.start <= target // 3
        current = [last, unit] if carry and unit.end - last.start <= budget else [unit]
    if current:
        groups.append(current)
    return groups


def chunk_text(text: str, *, source: str, target_chars: int = 500, max_chars: int = 900) -> list[ChunkDraft]:
    """Chunks of `text` (markdown or plain) of about `target_chars`, each at most `max_chars` long.

    Headings start new sections and their path prefixes each chunk; a fenced code block stays whole
    unless it alone exceeds the limit; consecutive chunks of a section share one short sentence.
    """
    if not 50 <= target_chars <= max_chars:
        raise ValueError("need 50 <= target_chars <= max_chars")
    drafts: list[ChunkDraft] = []
    seen: dict[str, int] = {}
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # offsets (`start`) refer to this normalised text
    for section in _sections(text, max_chars):
        prefix = section.heading + "\n" if section.heading else ""
        budget = section.budget
        for group in _pack(section.units, target=min(target_chars, budget), budget=budget):
            full = prefix + _body(text, group)
            occurrence = seen.get(full, 0)
            seen[full] = occurrence + 1
            drafts.append(
                ChunkDraft(
                    chunk_id=chunk_id(source, full, occurrence),
                    text=full,
                    heading=section.heading,
                    ordinal=len(drafts),
                    start=group[0].start,
                )
            )
    return drafts
