"""The registry of the grounding guardrail's contradiction checks (guardrails/grounding_checks.py): the order its
findings are shown in, and which policy flags turn which checks off."""

from __future__ import annotations

import pytest

from guardrails.grounding import GroundingGuardrail
from guardrails.grounding_checks import CHECKS

ORDER = [
    "polarity/affirmed/scope/number",
    "modal",
    "order",
    "relation",
    "precedence",
    "command",
    "term",
    "general",
    "value",
    "row",
    "opposite",
    "paired",
    "unit/unit_name",
    "pair",
    "equated",
    "step_order",
    "list_count",
]


def test_the_checks_run_in_the_order_their_findings_are_shown() -> None:
    assert [c.name for c in CHECKS] == ORDER


def test_only_numbers_units_and_names_are_compared_across_languages() -> None:
    assert [c.name for c in CHECKS if not c.same_language] == ["unit/unit_name", "pair"]


@pytest.mark.parametrize(
    ("flag", "off"),
    [
        ("check_contradictions", ORDER),
        ("check_overclaims", ["general"]),
        ("check_key_values", ["value", "row", "pair"]),
        ("check_opposites", ["opposite", "paired"]),
        ("check_units", ["unit/unit_name"]),
        ("check_numbers", []),
        ("check_cross_language", []),
    ],
)
def test_a_flag_turns_off_exactly_its_checks(flag: str, off: list[str]) -> None:
    guard = GroundingGuardrail(**{flag: False})  # type: ignore[arg-type]
    assert [c.name for c in CHECKS if not c.enabled(guard)] == off
    assert all(c.enabled(GroundingGuardrail()) for c in CHECKS)
