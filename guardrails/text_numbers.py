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
# Thousands separators are read: "2,048" is 2048 (groups of three only: "1,5" is 1 then 5, no decimal comma).
# NUMBER is the pattern of such a number, in readable() text, for every module reading numbers (units.py reads it
# before a unit); number_value() is its canonical value.
NUMBER = r"(?:(?<![A-Za-z0-9_.\-])-)?(?<![A-Za-z0-9_.])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)*"
# An HTTP status class ("4xx", "5XX") names a range of codes, not the number 4: a "4 s" the passage never gives was
# supported by its "Do not retry 4xx errors".
_NUMBER_RE = re.compile(rf"{NUMBER}(?![\d_]|[xX]{{2}}(?![A-Za-z0-9]))")
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
    return [number_value(m.group()) for m in _NUMBER_RE.finditer(readable(text))]


def readable(text: str) -> str:
    """The text numbers are read in, by numbers() and by every module reading numbers (units.py): NFKC, so
    full-width digits, letters and points and unit signs ("㎳", "㎇") are their ASCII selves; a full-width comma is
    Chinese punctuation ("256，512" lists two numbers), never a thousands separator, so it becomes an enumeration
    comma first (NFKC would make it ","); enclosed list marks (①) are dropped, not digits; superscript exponents
    are raised first (NFKC would make "10⁹" 109) and every power is written out after (a full-width "１０＾９" too).
    Lengths change (㎇ is two letters): read values here, never offsets."""
    text = _ENCLOSED_NUMBER_RE.sub(" ", text.replace("，", "、"))
    return written_out(unicodedata.normalize("NFKC", _raised(text)))


def number_value(number: str) -> str:
    """The canonical value of a number NUMBER matched: "2,048" -> "2048", "0.80" -> "0.8", "-1" -> "-1"."""
    return canonical_number(number.replace(",", ""))


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
