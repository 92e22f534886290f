"""Sentences and clauses of an answer or a passage: where the grounding checks cut text before they compare it.

Pure policy layer (stdlib). Chinese and English sentence ends, semicolons and line breaks end a sentence; commas
(an English one only before a space, not in 2,048) end a clause too. An inline code span is one name: nothing is
cut inside it. Layout at a piece's edges (list dashes, headings, quotes, emphasis, table bars and rules, fences)
is trimmed, and a piece left empty is dropped. The marks and alignment of the pieces are in alignment.py.
"""

from __future__ import annotations

import re

# Sentences of answer and passage: Chinese and English sentence ends, semicolons, line breaks.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.:])\s+|\n+")
# Clauses: a sentence end, a Chinese or English comma (English only before a space: not in 2,048).
_CLAUSE_SPLIT = re.compile(r"[，；。！？!?;\n]|,(?=\s)|(?<=[.:])\s+")

# An inline code span (`ollama run qwen2.5:0.5b`, `127.0.0.1:11434`, `"stream": false`, ``a ` b``) is one name:
# no sentence or clause ends inside it, and its backticks and a leading dash (`-v`, `-1`) stay. A list mark ("- ",
# "* ", "+ "; not "+1"), a rule ("---", a table's |---|), a fence (```bash), headings, quotes, emphasis and table
# bars at a piece's edges are layout.
_CODE_SPAN = re.compile(r"(?<!`)``(?!`)[^\n]+?``(?!`)|(?<!`)`[^`\n]+`(?!`)")
_LEADING = re.compile(r"^(?:[\s#>*|]|-+(?!\S)|\+(?=\s)|`{3,}\S*)+")
_TRAILING = re.compile(r"(?:[\s#>*|]|(?<!\S)-+|`{3,})+$")
_TABLE_RULE = re.compile(r"[\s|:-]*")  # |---|:---:|
_EDGE = frozenset(" \t\r\n\f\v#>*|-+:`")  # the characters a piece to trim starts or ends with


def _trimmed(piece: str) -> str:
    """`piece` without the layout marks at its edges, nor a backtick there that opens or closes no code span."""
    if piece and piece[0] not in _EDGE and piece[-1] not in _EDGE:
        return piece  # most pieces: nothing to trim
    while not _TABLE_RULE.fullmatch(piece):
        before = piece
        piece = _TRAILING.sub("", _LEADING.sub("", piece))
        if piece.startswith("`") and not _CODE_SPAN.match(piece):
            piece = piece.lstrip("`")
        if piece.endswith("`") and all(m.end() != len(piece) for m in _CODE_SPAN.finditer(piece)):
            piece = piece.rstrip("`")
        if piece == before:
            return piece
    return ""


def _split(text: str, at: re.Pattern[str]) -> list[str]:
    """`text` cut at each match of `at` outside a code span, each piece trimmed, the empty ones left out."""
    inside = [range(m.start() + 1, m.end()) for m in _CODE_SPAN.finditer(text)] if "`" in text else []
    if not inside:
        return [p for p in map(_trimmed, at.split(text)) if p]
    pieces: list[str] = []
    start = 0
    for cut in at.finditer(text):
        while inside and inside[0].stop <= cut.start():
            inside.pop(0)  # spans and cuts both run left to right
        if not (inside and cut.start() in inside[0]):
            pieces.append(text[start : cut.start()])
            start = cut.end()
    pieces.append(text[start:])
    return [p for p in map(_trimmed, pieces) if p]


def sentences(text: str) -> list[str]:
    return _split(text, _SENTENCE_END)


def clauses(text: str) -> list[str]:
    return _split(text, _CLAUSE_SPLIT)
