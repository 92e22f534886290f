"""Key–value list items read as table rows: "- **Q8**: about 1 GB per billion parameters", "- `OLLAMA_KEEP_ALIVE` —
how long a model stays loaded", "* num_ctx: context window", "1. **连接超时**：3 秒左右". The passage's items are
rows of guardrails/tables.py (the key its naming cell, the rest its other cell), so an answer giving Q8 the F16
item's "2 GB" is compared with the Q8 item as a table row would be; an answer's own item ("- **Q8**: about 2 GB")
is one piece, its key and its value together (the sentence cut at a colon would part them).

Pure policy layer (stdlib). A key is a bold or code span, or a short leading name, before a colon or a dash; a bold
key may hold its colon or full stop ("**Queueing.** With …"). Whether the key names a row is tables.py's rule.
"""

from __future__ import annotations

import re

from guardrails.list_lines import plain_item

_SEP = r"\s*(?:[:：]|\s[—–-]|—|–)\s*"
# The body of a plain list item (list_lines.py), read as a key and a value: bold with its colon or full stop inside;
# bold or code, then a colon or a dash; a short plain name, then a colon.
_ROW = re.compile(
    rf"(?:\*\*(?P<held>[^*\n]{{1,40}}?)[:：.]\*\*\s*"
    rf"|(?P<marked>\*\*[^*\n]{{1,40}}\*\*|`[^`\n]{{1,60}}`){_SEP}"
    rf"|(?P<plain>[^\s:：`*][^:：`*。，,;；]{{0,24}}?)\s*(?:：|:\s))\s*(?P<value>\S.*)$"
)
_EMPHASIS = re.compile(r"\*\*|`")


def list_item(line: str) -> tuple[str, str] | None:
    """The key (without its marks) and value of a key–value list item, or None for any other line."""
    item = plain_item(line)
    m = _ROW.match(item.body) if item else None
    if m is None:
        return None
    key = m.group("held") or m.group("marked") or m.group("plain")
    key = _EMPHASIS.sub("", key).strip()
    value = m.group("value").strip()
    if not key or not value or len(key.split()) > 5:
        return None
    return key, value


def answer_pieces(answer: str, cut: list[str]) -> list[str]:
    """The answer's pieces for the row check: its key–value list items whole ("Q8 about 2 GB"), and `cut` (its
    sentences) for the rest, minus those the items hold."""
    lines = [line for line in answer.splitlines() if list_item(line)]
    if not lines:
        return cut
    whole = [f"{key} {value}" for key, value in (list_item(line) or ("", "") for line in lines)]
    return whole + [s for s in cut if not any(s.strip() in line for line in lines)]
