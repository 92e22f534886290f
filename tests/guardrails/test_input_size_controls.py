"""input_size finds control characters with one regex pass, not a Python call per character (its cost is measured
by bench/bench_input_guards.py, not here): exactly the same characters are found as by their Unicode category
(Cc and Cs, newline, tab and CR allowed) over every code point."""

from __future__ import annotations

import unicodedata

from guardrails.base import GuardContext
from guardrails.input_size import InputSizeGuardrail


def by_category(char: str) -> bool:
    return char not in "\n\t\r" and unicodedata.category(char) in ("Cc", "Cs")


def test_the_same_characters_are_refused_as_by_their_unicode_category():
    guard = InputSizeGuardrail(max_chars=1_200_000)
    every = "".join(chr(c) for c in range(0x110000))
    verdict = guard.check(GuardContext(question="q " + every))
    expected = sorted(c for c in every if by_category(c))
    assert verdict.fired and verdict.details["problem"] == "control_chars"
    assert verdict.evidence == tuple(f"U+{ord(c):04X}" for c in expected[:10])
    assert len(expected) == 65 - 3 + 0x800  # the C0/C1 controls without \n \t \r, and every surrogate
