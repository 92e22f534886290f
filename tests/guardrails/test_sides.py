"""sides.COMPARATIVE: the one set of comparative markers (than, 比, 优于, 劣于, 胜过, 好于, 不如…) every check that reads
a comparison's two sides shares; "rather than", "other than" and the words that hold 比 (比如, 比对, 相比…) rank nothing."""

from __future__ import annotations

import pytest

from guardrails.sides import COMPARATIVE, comparison_sides


@pytest.mark.parametrize(
    ("sentence", "marker"),
    [
        ("Q4 is faster than Q8.", "than"),
        ("Q4 比 Q8 快。", "比"),
        ("Q4 优于 Q8。", "优于"),
        ("Q4 的精度劣于 Q8。", "劣于"),
        ("Q8 的质量胜过 Q4。", "胜过"),
        ("Q8 的质量好于 Q4。", "好于"),
        ("Q4 的精度不如 Q8。", "不如"),
        ("Q8 占用的内存大于 Q4。", "大于"),
        ("Q4 快于 Q8。", "快于"),
    ],
)
def test_markers_of_a_comparison(sentence: str, marker: str) -> None:
    found = COMPARATIVE.search(sentence)
    assert found is not None and found.group() == marker


@pytest.mark.parametrize(
    "sentence",
    [
        "Use the GPU rather than the CPU.",
        "Rather than Q8, pick Q4.",
        "No GPU other than NVIDIA is used.",
        "Other than Q8, every model fits.",
        "比如 Q4 和 Q8。",
        "用 sha256sum 的输出比对官网的校验值。",
        "与 Q8 相比，Q4 更小。",
        "对比 Q4 和 Q8 的输出。",
        "量化比例和比特数不同。",
    ],
)
def test_words_that_rank_nothing(sentence: str) -> None:
    assert COMPARATIVE.search(sentence) is None
    assert comparison_sides(sentence) is None
