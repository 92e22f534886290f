"""One JSON value as one line of text, whatever its strings hold: what the Ollama NDJSON stream and the access log
both write. json.dumps(ensure_ascii=False) escapes only the C0 controls; DEL, the C1 controls (U+0085 ends a line
for str.splitlines, which httpx's iter_lines and so the ollama client use; CSI drives terminals) and U+2028/U+2029
(line separators) are escaped too, as Go's encoding/json (Ollama) escapes the last two. The escapes are valid JSON
and decode to the same strings."""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029)}


def json_line(value: Any) -> str:
    """`value` as JSON on one line (no trailing newline)."""
    return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
