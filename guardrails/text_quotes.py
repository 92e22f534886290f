"""Quoted terms in text: what a text puts in quotes ("x", “x”, 「x」, 『x』, `x`), fenced code blocks (which are
not terms), and the squashed form quoted terms are compared in.

Pure policy layer (stdlib only).
"""

from __future__ import annotations

import re

from guardrails.text import normalize

_QUOTED_RES = (
    re.compile(r'"([^"\n]{1,200})"'),
    re.compile(r"“([^”\n]{1,200})”"),
    re.compile(r"「([^」\n]{1,200})」"),
    re.compile(r"『([^』\n]{1,200})』"),
    re.compile(r"`([^`\n]{1,200})`"),
)
# CommonMark fences (spec 0.31, 4.5), read the same way by the chunker (app/documents/chunking.py): up to 3 spaces of
# indent, then 3+ backticks whose info string has no backtick or 3+ tildes followed by anything. A block closes at a
# line of the same character, at least as many, up to 3 spaces of indent and only spaces or tabs after; at the end
# of the text otherwise. Triple backticks anywhere else ("run ```ollama ps``` first", "```ollama ps``` lists
# models") open no block: they are a code span, read like `ollama ps` (a term the passage must hold), not code the
# checks skip.
_FENCE_OPEN = re.compile(r" {0,3}(?:(`{3,})[^`]*|(~{3,}).*)")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t\r]*")


def fence_opening(line: str) -> str | None:
    """The fence a line opens a code block with ("```", "~~~~"), or None: the line is no opening fence."""
    opened = _FENCE_OPEN.fullmatch(line)
    return (opened.group(1) or opened.group(2)) if opened else None


def closes_fence(line: str, fence: str) -> bool:
    """Whether `line` closes the block `fence` opened: the same character, at least as many."""
    closing = _FENCE_CLOSE.fullmatch(line)
    return closing is not None and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence)


def fenced_lines(text: str) -> list[bool]:
    """For each line of `text` (split at "\\n"), whether it belongs to a fenced code block, its fence lines included."""
    inside: list[bool] = []
    fence: str | None = None  # the opening fence while inside a block
    for line in text.split("\n"):
        if fence is None:
            fence = fence_opening(line)
            inside.append(fence is not None)
            continue
        if closes_fence(line, fence):
            fence = None
        inside.append(True)
    return inside


def strip_code_fences(text: str) -> str:
    """`text` with the lines of its fenced code blocks emptied (line breaks kept): the prose around them."""
    if "```" not in text and "~~~" not in text:
        return text
    lines = text.split("\n")
    return "\n".join("" if code else line for line, code in zip(lines, fenced_lines(text), strict=True))


def quoted_terms(text: str) -> list[str]:
    """Terms the text puts in quotes: "x", “x”, 「x」, 『x』 and `x` (fenced code blocks are not terms)."""
    text = strip_code_fences(text)
    found: list[str] = []
    for pattern in _QUOTED_RES:
        for match in pattern.finditer(text):
            term = match.group(1).strip()
            if term and term not in found:
                found.append(term)
    return found


def squash(text: str) -> str:
    """Normalized text with all whitespace removed, for lenient substring checks of quoted terms."""
    return "".join(normalize(text).split())
