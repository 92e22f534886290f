"""The headings of a passage: its markdown headings (not a "# comment" in a fenced code block), FAQ question
titles, and the heading path the chunker puts on a chunk's first line; and the bare form an answer is compared with
them in.

Pure policy layer (stdlib), read by the heading-only test of answer_relevance.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.base import Chunk
from guardrails.text_quotes import squash, strip_code_fences

_HEADING_MD = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
# FAQ entries title themselves with the question: "Q7. Answers stop in the middle…", "问：…".
_HEADING_FAQ = re.compile(r"^\s*(?:Q\d{1,3}[.:)]|问[:：]|Q[:：])\s*(.+)$")
_MARKS = re.compile(r"[\[【(（]\s*[A-Za-z]{0,3}\d{1,3}\s*[\]】)）]|[#*`>\"'“”「」。.!?！？:：]")
_SENTENCE_END = "。.!?！？;；"


def headings(chunk: Chunk) -> list[str]:
    """Heading lines of a chunk: markdown headings, FAQ question titles, and a first line that is a heading
    path ("A > B")."""
    return list(heading_lines(chunk.text))


@lru_cache(maxsize=1024)  # the cited passages come back answer after answer
def heading_lines(text: str) -> tuple[str, ...]:
    """The headings of `text` (see headings)."""
    lines = text.splitlines()
    prose = strip_code_fences(text).splitlines()  # a fenced block's lines are empty: no "# comment" in code
    found = [m.group(1) for line in prose if (m := _HEADING_MD.match(line))]
    found += [line.strip() for line in prose if _HEADING_FAQ.match(line)]
    first = lines[0].strip() if lines else ""
    if " > " in first or (first and len(first) <= 80 and first[-1] not in _SENTENCE_END and len(lines) > 1):
        found.append(first)
        found += [part.strip() for part in first.split(" > ")]
    return tuple(h for h in found if h.strip())


def bare(text: str) -> str:
    """`text` squashed, without citation labels and marks (#, *, quotes, end punctuation): what is compared."""
    return squash(_MARKS.sub("", text))


@lru_cache(maxsize=1024)
def heading_forms(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A passage's code spans (squashed) and each heading with its bare form: what an answer is compared with."""
    code = squash(" ".join(re.findall(r"`([^`\n]+)`", text)))
    return code, tuple((bare(h), h) for h in heading_lines(text))
