"""Numbers in text, for Chinese and English: what counts as a number standing on its own, and its canonical form,
so "a number" means the same thing in every check that compares values.

Pure policy layer (stdlib only).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

# A number starts a token: not glued to an ASCII letter/digit/underscore/dot on its left, so "qwen2.5",
# "Q4_K_M" and "v0.6" yield nothing, while units on its right are fine ("8GB" -> 8, "7b" -> 7). CJK
# neighbours are fine too ("端口11434"). Both sides of a comparison are extracted the same way.
# A minus sign belongs to the number ("-1" is not "1") unless the hyphen follows a letter, digit or dot ("3-5",
# "2024-01-15", "coder-7b"). Every dotted part belongs to it too: "0.5.7" and "127.0.0.1" are one value each, not
# "0.5" and "127".
_NUMBER_RE = re.compile(r"(?:(?<![A-Za-z0-9_.\-])(-))?(?<![A-Za-z0-9_.])(\d{1,3}(?:,\d{3})+(?!\d)|\d+)((?:\.\d+)+)?(?![\d_])")
# Enclosed numbers (①, ⑴, ⒈, ㉑) are enumeration marks, like list numbering, not values; NFKC would turn them into
# digits ("①②③" -> "123").
_ENCLOSED_NUMBER_RE = re.compile("[\u2460-\u24ff\u3251-\u325f\u32b1-\u32bf]")


def numbers(text: str) -> list[str]:
    """Numbers standing on their own ("11434", "0.8", "2,048" -> "2048"), normalized so 0.80 == 0.8."""
    found: list[str] = []
    # A full-width comma is Chinese punctuation ("256，512" lists two numbers), never a thousands separator; NFKC
    # would make it ",", so it becomes an enumeration comma first. Enclosed list marks (①) are not numbers.
    text = _ENCLOSED_NUMBER_RE.sub(" ", text.replace("，", "、"))
    for match in _NUMBER_RE.finditer(unicodedata.normalize("NFKC", text)):
        raw = (match.group(1) or "") + match.group(2).replace(",", "") + (match.group(3) or "")
        found.append(canonical_number(raw))
    return found


def canonical_number(raw: str) -> str:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return raw
    return format(value.normalize(), "f")
