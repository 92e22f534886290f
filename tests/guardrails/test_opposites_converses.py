"""A correct converse written with 更/较 ("Q8 比 Q4 更慢" for "Q4 比 Q8 更快") is not an opposite word
(guardrails/opposites.py). In "A 比 B 更快" both A and B stand before the comparative, so the sides of the comparison
are read around its marker (比 / than, guardrails/sides.py), not around the word; the same comparative turned
into its opposite with the SAME sides is still caught. Passages are data/docs text or written like it; answers are
written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.opposites import opposite_terms
from guardrails.sentences import sentences
from tests.guardrails.cited import grounding_verdict

FAST_ZH = "Q4 比 Q8 更快。"
MEMORY_ZH = "Q4 模型比 Q8 模型占用更少内存。"
QUANT_ZH = "在同样的内存预算下，Q4 量化的大模型通常比 Q8 量化的小模型回答得更好。"
LOAD_ZH = "Q4 模型的加载速度比 Q8 模型较快。"
FAST_EN = "Q4 is faster than Q8."
MEMORY_EN = "Q4 uses less memory than Q8."
QUANT_EN = "At a fixed memory budget, a larger model at Q4 usually answers better than a smaller model at Q8."


def _opposites(answer: str, passage: str) -> list[tuple[str, ...]]:
    return [c.terms for c in opposite_terms(answer, passage, min_alignment=0.4, min_tokens=3)]


CONVERSES = [
    # 更/较 before the comparative: both sides stand before it (all rejected before the fix)
    ("Q8 比 Q4 更慢。", FAST_ZH),
    ("Q8 模型比 Q4 模型占用更多内存。", MEMORY_ZH),
    ("在同样的内存预算下，Q8 量化的小模型通常比 Q4 量化的大模型回答得更差。", QUANT_ZH),
    ("Q8 模型的加载速度比 Q4 模型较慢。", LOAD_ZH),
    # English: the comparative stands between the sides, or before both ("More memory is used by A than by B");
    # accepted before too
    ("More memory is used by Q8 than by Q4.", MEMORY_EN),
    ("Q8 is slower than Q4.", FAST_EN),
    ("Q8 uses more memory than Q4.", MEMORY_EN),
    ("At a fixed memory budget, a smaller model at Q8 usually answers worse than a larger model at Q4.", QUANT_EN),
]


@pytest.mark.parametrize(("answer", "passage"), CONVERSES)
def test_a_converse_is_not_an_opposite(answer: str, passage: str) -> None:
    assert _opposites(answer, passage) == []


@pytest.mark.parametrize(("answer", "passage"), CONVERSES)
def test_grounding_accepts_a_converse(answer: str, passage: str) -> None:
    verdict = grounding_verdict(answer, passage)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage", "terms"),
    [
        ("Q4 比 Q8 更慢。", FAST_ZH, ("faster/slower", "更慢", "更快")),
        ("Q4 模型比 Q8 模型占用更多内存。", MEMORY_ZH, ("more/less", "更多", "更少")),
        ("在同样的内存预算下，Q4 量化的大模型通常比 Q8 量化的小模型回答得更差。", QUANT_ZH, ("better/worse", "更差", "更好")),
        ("Q4 模型的加载速度比 Q8 模型较慢。", LOAD_ZH, ("faster/slower", "较慢", "较快")),
        ("Q4 is slower than Q8.", FAST_EN, ("faster/slower", "slower", "faster")),
        ("Q4 uses more memory than Q8.", MEMORY_EN, ("more/less", "more", "less")),
        # read around the word, "Q4" stood on its right here and on its left in the passage: taken for a converse before
        ("More memory is used by Q4 than by Q8.", MEMORY_EN, ("more/less", "More", "less")),
        # the comparative in a clause of its own, without 比: its sides are read around the word, as before
        ("Q4 比 Q8 小，但加载更慢。", "Q4 比 Q8 小，而且加载更快。", ("faster/slower", "更慢", "更快")),
    ],
)
def test_the_opposite_with_the_same_sides_is_still_caught(answer: str, passage: str, terms: tuple[str, ...]) -> None:
    assert _opposites(answer, passage) == [terms]
    verdict = grounding_verdict(answer, passage)
    assert verdict.fired and "turns a word into its opposite" in verdict.reason


# Real contrasts between two different sentences of one section: the only firings of the stress test below.
KNOWN_CONTRASTS = {("ollama-cli.md", ("load/unload", "unloads", "loads"))}


def test_no_sentence_of_the_corpus_is_an_opposite_of_its_own_section() -> None:
    """Self-generated supported answers: every sentence of data/docs quoted against its own section (it restates
    itself: nothing may fire) and against the section without its own paragraph (only real contrasts may)."""
    docs = Path(__file__).resolve().parents[2] / "data" / "docs"
    own, rest = [], set()
    for path in sorted(docs.glob("*.*")):
        for section in path.read_text(encoding="utf-8").split("\n## "):
            for paragraph in section.split("\n\n"):
                for sentence in sentences(paragraph):
                    own += [
                        (path.name, c.claim, c.terms) for c in opposite_terms(sentence, section, min_alignment=0.4, min_tokens=3)
                    ]
                    others = section.replace(paragraph, "")
                    rest |= {(path.name, c.terms) for c in opposite_terms(sentence, others, min_alignment=0.4, min_tokens=3)}
    assert own == []
    assert rest <= KNOWN_CONTRASTS
