"""swapped_comparisons reads a comparison's sides around sides.COMPARATIVE only: "rather than", "other than" and 比对
rank nothing, so a faithful restatement that names their two things in another order is no swapped comparison."""

from __future__ import annotations

import pytest

from guardrails.comparisons import swapped_comparisons


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        (
            "The first time, rather than from memory, models load from disk.",
            "Models load from disk rather than from memory the first time.",
        ),
        ("Other than NVIDIA cards, no GPU is used on Linux.", "No GPU other than NVIDIA cards is used on Linux."),
        ("拿官网的校验值比对 sha256sum 的输出。", "拿 sha256sum 的输出比对官网的校验值。"),
    ],
)
def test_a_reordered_non_comparison_is_no_swapped_comparison(answer: str, passage: str) -> None:
    assert swapped_comparisons(answer, passage, min_alignment=0.4) == []


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Q8 runs faster than Q4.", "Q4 runs faster than Q8."),
        ("Q8 模型比 Q4 模型快。", "Q4 模型比 Q8 模型快。"),
        ("Q8 的质量好于 Q4。", "Q4 的质量好于 Q8。"),
    ],
)
def test_a_swapped_comparison_is_still_caught(answer: str, passage: str) -> None:
    assert [c.kind for c in swapped_comparisons(answer, passage, min_alignment=0.4)] == ["order"]
