"""One relation between two opposite senses restated with every sense turned ("higher values give less conservative
text" for "lower values give more conservative text") is not a swap of what is said of each sense (paired_senses.py);
two halves, each saying something of one sense, still are."""

from __future__ import annotations

import pytest

from guardrails.paired_senses import swapped_senses

_TOP_K = "| `top_k` | 40 | Only the k most likely tokens are considered. Lower values give more conservative text. |"
_CHUNKS = "块太大，混入大量无关内容；块太小，又会丢失上下文。"
_HALVES = "A chunk that is too large mixes in noise and a chunk that is too small loses the context."

RESTATED = [
    (
        _TOP_K,
        "With top_k, the model considers only the k most likely tokens; the default is 40. Higher values give less conservative text.",
    ),
    (_TOP_K, "A higher top_k gives less conservative text, because more of the likely tokens are considered."),
    ("Lower temperatures give more focused answers.", "Higher temperatures give less focused answers."),
]

SWAPPED = [
    (_CHUNKS, "块太大会丢失上下文，块太小会混入无关内容。"),
    (_CHUNKS, "块太小，混入大量无关内容；块太大，又会丢失上下文。"),
    (_HALVES, "A chunk that is too small mixes in noise and a chunk that is too large loses the context."),
]


@pytest.mark.parametrize(("support", "answer"), RESTATED)
def test_one_relation_with_every_sense_turned_restates(support: str, answer: str) -> None:
    assert swapped_senses(answer, support) == []


@pytest.mark.parametrize(("support", "answer"), SWAPPED)
def test_halves_said_of_each_sense_still_swap(support: str, answer: str) -> None:
    assert swapped_senses(answer, support)
