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
# A power is one value, however it is written: scientific notation (1e9, 2.5E-3, 2.5 × 10^9) or a base raised to an
# exponent (10^9, 10**9, 10⁹, "10 的 9 次方"). It starts where a number does (so "v1e9", "0x1e9" and "e5" are not
# powers) and its exponent (one or two digits) is not glued to a letter, digit or underscore ("1e9f" is hex, not a
# power); ** only unspaced (markdown bold is "**"); a sign in front is the number's, as for any number.
_POWER_RE = re.compile(
    r"(?<![A-Za-z0-9_.])(?:(?P<mantissa>\d+(?:\.\d+)?)(?:[eE]|\s*[×*·]\s*10\s*\^\s*)(?P<shift>[+-]?\d{1,2})"
    r"|(?P<base>\d+)(?:\s*\^\s*|\*\*)(?P<exponent>[+-]?\d{1,2})|(?P<zh_base>\d+)\s*的\s*(?P<zh_exponent>-?\d{1,2})\s*次方)"
    r"(?![A-Za-z0-9_]|\.\d)"
)
# Superscript digits after a number are its exponent (10⁹); NFKC would glue them on as digits ("109").
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
_SUPERSCRIPT_RE = re.compile(r"(?<=\d)[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
# Enclosed numbers (①, ⑴, ⒈, ㉑) are enumeration marks, like list numbering, not values; NFKC would turn them into
# digits ("①②③" -> "123").
_ENCLOSED_NUMBER_RE = re.compile("[\u2460-\u24ff\u3251-\u325f\u32b1-\u32bf]")


def numbers(text: str) -> list[str]:
    """Numbers standing on their own ("11434", "0.8", "2,048" -> "2048", "1e9" -> "1000000000"), normalized so
    0.80 == 0.8."""
    found: list[str] = []
    # A full-width comma is Chinese punctuation ("256，512" lists two numbers), never a thousands separator; NFKC
    # would make it ",", so it becomes an enumeration comma first. Enclosed list marks (①) are not numbers.
    text = _ENCLOSED_NUMBER_RE.sub(" ", text.replace("，", "、"))
    for match in _NUMBER_RE.finditer(written_out(unicodedata.normalize("NFKC", _raised(text)))):
        raw = (match.group(1) or "") + match.group(2).replace(",", "") + (match.group(3) or "")
        found.append(canonical_number(raw))
    return found


def written_out(text: str) -> str:
    """`text` with every power written out as its value, canonical: "divide by 10^9" -> "divide by 1000000000"."""
    return _POWER_RE.sub(_power_value, _raised(text))


def _raised(text: str) -> str:
    """Superscript exponents written with a caret: "10⁹" -> "10^9"."""
    return _SUPERSCRIPT_RE.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPT), text)


def _power_value(match: re.Match[str]) -> str:
    try:
        if match["mantissa"] is not None:
            value = Decimal(match["mantissa"]).scaleb(int(match["shift"]))
        else:
            base, exponent = (match["base"], match["exponent"]) if match["base"] else (match["zh_base"], match["zh_exponent"])
            value = Decimal(base) ** int(exponent)
    except ArithmeticError:
        return match.group()
    return canonical_number(str(value)) if value.is_finite() else match.group()  # 0^-1 is no value


def canonical_number(raw: str) -> str:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return raw
    return format(value.normalize(), "f")
