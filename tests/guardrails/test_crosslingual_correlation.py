"""A correlation across languages (guardrails/cross_correlation.py, through the grounding guardrail): told from its
other end ("the lower the count, the less memory" for "并行数越大，需要的上下文内存越多") it turns both halves and
restates; with one half turned it contradicts. The aligned pairs are given as the similarity signal passes them (no
model); h164e073 and h164e095 are items of a faithful hunt, the rest written for these tests over data/docs text."""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext, Signal, Verdict
from guardrails.crosslingual import ALIGNED_KEY
from guardrails.grounding import SIMILARITY_SIGNAL, GroundingGuardrail

PARALLEL_ZH = "并行数越大，需要的上下文内存越多，大致等于 `num_ctx × 并行数`。"
BIG_ZH, MORE_ZH, ROUGHLY_ZH = "并行数越大", "需要的上下文内存越多", "大致等于 `num_ctx × 并行数`。"
CTX_EN = "The larger the context window, the more memory the KV cache needs."
LARGER_EN, MORE_EN = "The larger the context window", "the more memory the KV cache needs."


def _check(answer: str, passage: str, pairs: list[tuple[str, str, float]]) -> Verdict:
    """The guardrail on `answer` citing the one-sentence `passage`, with the signal's aligned (answer clause,
    passage clause, similarity) pairs."""
    aligned = [{"claim": a, "clause": p, "sentence": passage, "similarity": s} for a, p, s in pairs]
    signal = Signal(name=SIMILARITY_SIGNAL, score=0.6, details={"sentences": 1, ALIGNED_KEY: aligned})
    chunk = Chunk(chunk_id="c1", source="doc.md", text=passage, score=1.0, label="S1")
    ctx = GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",), signals={SIMILARITY_SIGNAL: signal})
    return GroundingGuardrail(check_cross_language=True).check(ctx)


RESTATED = [
    pytest.param(
        "Yes. The lower the parallel count, the less context memory is needed, roughly num_ctx × the parallel count.",
        PARALLEL_ZH,
        [
            ("The lower the parallel count", BIG_ZH, 0.72),
            ("the less context memory is needed", MORE_ZH, 0.75),
            ("roughly num_ctx × the parallel count.", ROUGHLY_ZH, 0.8),
        ],
        id="h164e095-en-both-halves-turned-in-two-clauses",
    ),
    pytest.param(
        "Yes. The more parallel requests, the more context memory is needed. Fewer parallel requests need less memory.",
        PARALLEL_ZH,
        [
            ("The more parallel requests", BIG_ZH, 0.78),
            ("the more context memory is needed.", MORE_ZH, 0.8),
            ("Fewer parallel requests need less memory.", MORE_ZH, 0.66),
        ],
        id="h164e073-en-both-halves-turned-in-one-clause",
    ),
    pytest.param(
        "上下文窗口越小，KV 缓存需要的内存越少。",
        CTX_EN,
        [("上下文窗口越小", LARGER_EN, 0.74), ("KV 缓存需要的内存越少", MORE_EN, 0.77)],
        id="zh-both-halves-turned-in-two-clauses",
    ),
    pytest.param(
        "窗口更小的 KV 缓存需要更少的内存。",
        CTX_EN,
        [("窗口更小的 KV 缓存需要更少的内存", MORE_EN, 0.7)],
        id="zh-both-halves-turned-in-one-clause",
    ),
    pytest.param(
        "并行数越小，需要的内存越少，并行数越大，需要的内存越多。",
        "The more parallel requests, the more context memory is needed.",
        [
            ("并行数越小", "The more parallel requests", 0.7),
            ("需要的内存越少", "the more context memory is needed.", 0.72),
            ("并行数越大", "The more parallel requests", 0.8),
            ("需要的内存越多", "the more context memory is needed.", 0.8),
        ],
        id="zh-told-from-both-ends-in-one-sentence",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs"), RESTATED)
def test_a_correlation_told_from_its_other_end_passes(answer, passage, pairs) -> None:
    verdict = _check(answer, passage, pairs)
    assert verdict.details["contradictions"] == [], verdict.reason


TURNED = [
    pytest.param(
        "The more parallel requests, the less context memory is needed.",
        PARALLEL_ZH,
        [("The more parallel requests", BIG_ZH, 0.78), ("the less context memory is needed.", MORE_ZH, 0.72)],
        "the less context memory is needed.",
        id="en-second-half-turned",
    ),
    pytest.param(
        "The lower the parallel count, the more context memory is needed.",
        PARALLEL_ZH,
        [("The lower the parallel count", BIG_ZH, 0.72), ("the more context memory is needed.", MORE_ZH, 0.8)],
        "The lower the parallel count",
        id="en-first-half-turned",
    ),
    pytest.param(
        "Fewer parallel requests need more memory.",
        PARALLEL_ZH,
        [("Fewer parallel requests need more memory.", MORE_ZH, 0.68)],
        "Fewer parallel requests need more memory.",
        id="en-one-half-turned-in-one-clause",
    ),
    pytest.param(
        "上下文窗口越大，需要的内存越少。",
        CTX_EN,
        [("上下文窗口越大", LARGER_EN, 0.8), ("需要的内存越少", MORE_EN, 0.74)],
        "需要的内存越少",
        id="zh-second-half-turned",
    ),
    pytest.param(
        "并行数越小，需要的内存越多，并行数越大，需要的内存越多。",
        "The more parallel requests, the more context memory is needed.",
        [
            ("并行数越小", "The more parallel requests", 0.7),
            ("需要的内存越多", "the more context memory is needed.", 0.8),
            ("并行数越大", "The more parallel requests", 0.8),
            ("需要的内存越多", "the more context memory is needed.", 0.8),
        ],
        "并行数越小",
        id="zh-one-half-turned-beside-a-faithful-half",
    ),
    pytest.param(
        "A single request needs more memory.",
        "单个请求需要更少的内存。",
        [("A single request needs more memory.", "单个请求需要更少的内存。", 0.76)],
        "A single request needs more memory.",
        id="en-one-turned-word-no-correlation",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs", "claim"), TURNED)
def test_a_correlation_with_one_half_turned_fires_on_that_half(answer, passage, pairs, claim) -> None:
    verdict = _check(answer, passage, pairs)
    found = verdict.details["contradictions"]
    assert [(c["claim"], c["kind"]) for c in found] == [(claim, "opposite")], verdict.reason
