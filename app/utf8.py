"""Text that every native library and wire format can take: lone surrogates (U+D800-U+DFFF alone) as U+FFFD.

App layer, below every part. Python strings hold lone surrogates (a command-line argument or file name that is not
UTF-8 arrives so, decoded with surrogateescape; JSON allows the escape "\\udcff"), but UTF-8 cannot encode them, so
every library that hands a string to Rust or C (rjieba, the sentence encoder's tokenizer) or writes it as UTF-8
(HTTP bodies) raised UnicodeEncodeError and the request ended as an internal error. The guardrails still see the
text as it came (input_size refuses text that is mostly such characters); only what crosses those boundaries is
replaced.
"""

from __future__ import annotations

from typing import Any


def utf8_safe(text: str) -> str:
    """`text` itself when UTF-8 can encode it; else a copy with each lone surrogate replaced by U+FFFD (a high
    and low surrogate side by side, as a JSON escape pair may leave them, become the character they make)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def utf8_safe_tree(value: Any) -> Any:
    """`value` (JSON-like: str, list, tuple, dict) with every string in it, dict keys too, made utf8_safe; lists
    and tuples come back as lists, anything else as it is. For a parsed request body and a model request's
    messages."""
    if isinstance(value, str):
        return utf8_safe(value)
    if isinstance(value, list | tuple):
        return [utf8_safe_tree(v) for v in value]
    if isinstance(value, dict):
        return {utf8_safe_tree(k): utf8_safe_tree(v) for k, v in value.items()}
    return value
