"""opposite_terms reads an ordering word's sides around a comparative marker of its clause only when the clause has
one (sides.COMPARATIVE): "rather than", "other than" and 比对 rank nothing, so a word turned into its opposite next to
them is not mistaken for a converse with its sides swapped."""

from __future__ import annotations

import pytest

from guardrails.opposites import opposite_terms


@pytest.mark.parametrize(
    ("answer", "passage", "forms"),
    [
        ("Rather than Q8 use Q4 for slower answers.", "Use Q4 rather than Q8 for faster answers.", ("slower", "faster")),
        ("Other than Q8 use Q4 for slower answers.", "Use Q4 other than Q8 for faster answers.", ("slower", "faster")),
        ("用 Q8 的输出比对 Q4 的输出时 Q4 的回答更慢。", "用 Q4 的输出比对 Q8 的输出时 Q4 的回答更快。", ("更慢", "更快")),
    ],
)
def test_an_opposite_beside_a_non_comparison_is_caught(answer: str, passage: str, forms: tuple[str, str]) -> None:
    found = opposite_terms(answer, passage, min_alignment=0.4, min_tokens=3)
    assert [c.terms for c in found] == [("faster/slower", *forms)]


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Q8 is slower than Q4.", "Q4 is faster than Q8."),  # the converse restates the sentence
        ("Q8 比 Q4 更慢。", "Q4 比 Q8 更快。"),
    ],
)
def test_a_converse_still_passes(answer: str, passage: str) -> None:
    assert opposite_terms(answer, passage, min_alignment=0.4, min_tokens=3) == []
