"""One JSON value as one line of text, whatever its strings hold: what the Ollama NDJSON streams (serve's and the
embedded model's), the access log, the trace export file and the CLI's --json output write. json.dumps
(ensure_ascii=False) and pydantic escape only the C0 controls; DEL, the C1 controls (U+0085 ends a line for
str.splitlines, which httpx's iter_lines and so the ollama client use; CSI drives terminals) and U+2028/U+2029
(line separators) are escaped too, as Go's encoding/json (Ollama) escapes the last two. The escapes are valid JSON
and decode to the same strings.

App layer, below every part and client (the CLI and the server reach it as `from app import json_line`).
"""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029)}


def json_line(value: Any) -> str:
    """`value` as JSON on one line (no trailing newline)."""
    return line_safe(json.dumps(value, ensure_ascii=False))


def line_safe(json_text: str) -> str:
    """JSON text already written (a pydantic model_dump_json) with the characters above escaped. Only for JSON:
    outside its strings JSON allows none of them, so each one found is inside a string, where the escape means
    the same character."""
    return json_text.translate(_ESCAPES)
