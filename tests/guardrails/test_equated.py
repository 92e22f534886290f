"""equated_comparisons: an answer calling alike two things the passage ranks contradicts it; restating the ranking,
calling alike what the passage ranks by a little or itself calls alike, or saying they differ does not."""

from __future__ import annotations

import pytest

from guardrails.equated import equated_comparisons

CPU_ZH = "CPU 推理主要受内存带宽限制，双通道内存比单通道快得多；核心数超过一定数量后提升不大。"
SIZE_ZH = "同等内存下，较大模型的 Q4 版本通常优于较小模型的 Q8 版本。"
CPU_EN = "CPU inference is bound by memory bandwidth: dual-channel memory is much faster than single-channel memory."
SIZE_EN = "At equal memory, a smaller model at Q8 is usually worse than a larger model at Q4."


@pytest.mark.parametrize(
    ("answer", "support", "terms"),
    [
        ("差别不大。单通道和双通道内存速度差不多。", CPU_ZH, ("内存", "单通")),
        ("较大模型的 Q4 和较小模型的 Q8 效果一样。", SIZE_ZH, ("q4", "q8")),
        ("较大模型的 Q4 与较小模型的 Q8 没什么区别。", SIZE_ZH, ("q4", "q8")),
        ("Single-channel and dual-channel memory perform about the same.", CPU_EN, ("dual", "single")),
        ("There is no real difference between a smaller model at Q8 and a larger model at Q4.", SIZE_EN, ("q8", "larger")),
        ("A larger model at Q4 and a smaller model at Q8 are comparable.", SIZE_EN, ("q8", "larger")),
    ],
)
def test_calling_ranked_things_alike_is_a_contradiction(answer: str, support: str, terms: tuple[str, str]) -> None:
    found = equated_comparisons(answer, support)
    assert [(f.kind, f.terms) for f in found] == [("equated", terms)]


@pytest.mark.parametrize(
    ("answer", "support"),
    [
        ("双通道内存要比单通道快很多。", CPU_ZH),  # restates the ranking
        ("Dual-channel memory is a lot faster than single-channel memory.", CPU_EN),
        ("单通道和双通道内存不一样，双通道快得多。", CPU_ZH),  # says they differ
        ("Single-channel and dual-channel memory are not the same.", CPU_EN),
        ("7B 和 8B 模型的内存需求差不多。", CPU_ZH),  # alike, but not what the passage ranks
        ("Q5_K_M 和 Q4_K_M 差不多。", "Q5_K_M 比 Q4_K_M 略好一点。"),  # ranked by a little
        ("Q8_0 is slightly larger, but Q8_0 and Q4_K_M give about the same quality.", "Q8_0 is slightly larger than Q4_K_M."),
        ("Q8_0 and Q4_K_M give about the same quality.", "Q8_0 is larger than Q4_K_M, but the quality is about the same."),
        ("纯 CPU 时核心数多少差别不大。", CPU_ZH),  # the passage says so itself, in no ranking
        ("More than 4 GB and 8 GB are the same.", "You need more than 4 GB, rather than 8 GB."),  # no ranking of two
    ],
)
def test_restating_or_differing_or_unranked_is_not(answer: str, support: str) -> None:
    assert equated_comparisons(answer, support) == []


@pytest.mark.parametrize(
    ("answer", "support", "terms"),
    [
        ("Q4 和 Q8 的精度差不多。", "Q4 的精度劣于 Q8。", ("q4", "q8")),
        ("Q8 和 Q4 的回答质量一样。", "Q8 的回答质量胜过 Q4。", ("q8", "q4")),
        ("Q8 和 Q4 的回答质量差不多。", "Q8 的回答质量好于 Q4。", ("q8", "q4")),
        ("Q4 and Q8 give about the same quality.", "Q8 gives better quality than Q4.", ("give", "q4")),
    ],
)
def test_every_comparative_marker_of_sides_ranks(answer: str, support: str, terms: tuple[str, str]) -> None:
    """The shared markers of sides.COMPARATIVE: 劣于 and 胜过 rank as 优于 and 好于 do."""
    assert [(f.kind, f.terms) for f in equated_comparisons(answer, support)] == [("equated", terms)]


@pytest.mark.parametrize(
    ("answer", "support"),
    [
        ("Q4 and Q8 are about the same.", "Use Q4 rather than Q8."),  # a choice, no ranking
        ("Q4 and Q8 are about the same.", "Any model other than Q8, such as Q4, fits."),
        ("Q4 和 Q8 的输出差不多。", "用 Q4 的输出比对 Q8 的输出。"),  # 比对 compares nothing
        ("Q4 and 8 GB are about the same.", "Q4 needs more than 8 GB."),  # than a number: a quantity
    ],
)
def test_a_choice_or_a_quantity_is_no_ranking(answer: str, support: str) -> None:
    assert equated_comparisons(answer, support) == []


def test_no_sentence_of_the_corpus_calls_its_own_section_alike() -> None:
    """Every data/docs sentence quoted against its own section (and against the section without its paragraph)."""
    from tests.guardrails.corpus import section_quotes

    assert [(q.file, q.sentence) for q in section_quotes() if equated_comparisons(q.sentence, q.support)] == []


def test_the_grounding_guardrail_rejects_it_and_says_why() -> None:
    from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict

    verdict = grounding_verdict("单通道和双通道内存速度差不多。", CPU_ZH, similarity=PARAPHRASE_SIMILARITY)
    assert_caught(verdict, "equated: ")
    assert "calls alike two things ranked in" in verdict.reason
    assert not grounding_verdict("单通道和双通道内存速度差不多。", CPU_ZH, check_contradictions=False).details["contradictions"]
