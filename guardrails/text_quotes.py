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
_FENCE_RE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)


def strip_code_fences(text: str) -> str:
    return _FENCE_RE.sub(" ", text)


def quoted_terms(text: str) -> list[str]:
    """Terms the text puts in quotes: "x", “x”, 「x」, 『x』 and `x` (fenced ``` blocks are not terms)."""
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
