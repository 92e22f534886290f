"""A number with a unit written as a power ("1e9 ns", "10^9 纳秒") is one value, as numbers() reads it: not the
exponent alone (9 ns), and a changed unit of that value is still caught."""

from __future__ import annotations

import pytest

from guardrails.units import changed_units, quantities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e9 ns", [("1000000000", "time", "ns")]),
        ("10^9 纳秒", [("1000000000", "time", "ns")]),
        ("10⁹ ns", [("1000000000", "time", "ns")]),
        ("2.5 × 10^3 ms", [("2500", "time", "ms")]),
        ("1e-3 s", [("0.001", "time", "s")]),
        ("10 的 3 次方 秒", [("1000", "time", "s")]),
        # unchanged: no power, or not one (hex, a name)
        ("5 ns", [("5", "time", "ns")]),
        ("1e9f s", []),
        ("v1e9 ns", []),
    ],
)
def test_a_power_with_a_unit_is_one_value(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize(
    ("answer", "passage", "caught"),
    [
        ("耗时 10^9 纳秒", "耗时 9 秒", False),  # 10^9 is not 9: no unit of 9 changed
        ("divide by 1e9 ms", "divide by 10^9 ns", True),
        ("divide by 1e9 ns", "divide by 10^9 纳秒", False),
    ],
)
def test_changed_units_read_powers_as_values(answer: str, passage: str, caught: bool) -> None:
    assert bool(changed_units(answer, passage)) is caught
