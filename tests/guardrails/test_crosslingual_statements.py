"""What a cross-language clause states (guardrails/crosslingual.py, cross_lexicon.py, through the grounding
guardrail): a Chinese 不-compound of negative sense (不稳定, 不可信) is a word like "unstable", not a negation; a
condition's negation ("如果没有找到 GPU") claims nothing against a clause stating no condition; a lead ending in a
colon ("但并不完美：") is a statement of its own. Each faithful row fired before; each contradiction row still fires.
Aligned pairs are given as the similarity signal would pass them (no model). Rows are written after tune-split items
of the cross_faithful set (cf007, cf085, cf095; never held-out) and data/docs text."""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext, Signal, Verdict
from guardrails.crosslingual import ALIGNED_KEY
from guardrails.grounding import SIMILARITY_SIGNAL, GroundingGuardrail

RELIABILITY_ZH = "把大模型接入系统时，应当把它当成一个“慢、不稳定、输出不可信”的外部依赖来对待。"
RELIABILITY_CLAUSE = "应当把它当成一个“慢、不稳定、输出不可信”的外部依赖来对待"
GPU_EN = "The install script looks for NVIDIA or AMD GPUs. If none is found it prints a warning."
GPU_ZH = "安装脚本会检测 NVIDIA 或 AMD GPU，找不到时会打印警告。"
SEED_EN = "Different hardware, batch sizes or Ollama versions can still change the output."
SEED_ZH = "不同的硬件、批大小或 Ollama 版本仍可能改变输出。"
AUTH_EN = "Ollama has built-in login authentication."


def _check(answer: str, passage: str, pairs: list[tuple[str, str, float]]) -> Verdict:
    aligned = [{"claim": a, "clause": p, "sentence": p, "similarity": s} for a, p, s in pairs]
    signal = Signal(name=SIMILARITY_SIGNAL, score=0.6, details={"sentences": 1, ALIGNED_KEY: aligned})
    chunk = Chunk(chunk_id="c1", source="doc.md", text=passage, score=1.0, label="S1")
    ctx = GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",), signals={SIMILARITY_SIGNAL: signal})
    return GroundingGuardrail(check_cross_language=True).check(ctx)


FAITHFUL = [
    pytest.param(
        "Treat it as an external dependency that is slow, unstable and untrustworthy.",
        RELIABILITY_ZH,
        [("Treat it as an external dependency that is slow", RELIABILITY_CLAUSE, 0.6)],
        id="en-shortens-a-zh-list-of-bu-compounds",
    ),
    pytest.param(
        "这个接口很慢、不稳定。",
        "The endpoint is slow and flaky.",
        [("这个接口很慢、不稳定", "The endpoint is slow and flaky.", 0.7)],
        id="zh-bu-wen-ding-for-en-flaky",
    ),
    pytest.param(
        "如果没有找到 NVIDIA 或 AMD GPU，脚本会打印警告。",
        GPU_EN,
        [("如果没有找到 NVIDIA 或 AMD GPU", "The install script looks for NVIDIA or AMD GPUs.", 0.82)],
        id="zh-condition-negates-against-en-statement",
    ),
    pytest.param(
        "If no GPU is found, the script prints a warning.",
        GPU_ZH,
        [("If no GPU is found", "安装脚本会检测 NVIDIA 或 AMD GPU", 0.7)],
        id="en-condition-negates-against-zh-statement",
    ),
    pytest.param(
        "但并不完美：不同的硬件、批大小或 Ollama 版本仍可能改变输出。",
        SEED_EN,
        [("但并不完美：不同的硬件、批大小或 Ollama 版本仍可能改变输出", SEED_EN, 0.65)],
        id="zh-lead-before-a-colon-negates",
    ),
    pytest.param(
        "Not perfectly, though: different hardware or batch sizes can still change the output.",
        SEED_ZH,
        [("Not perfectly, though: different hardware or batch sizes can still change the output.", SEED_ZH, 0.65)],
        id="en-lead-before-a-colon-negates",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs"), FAITHFUL)
def test_a_faithful_translation_passes(answer, passage, pairs) -> None:
    verdict = _check(answer, passage, pairs)
    assert verdict.details["contradictions"] == [], verdict.reason


CONTRADICTED = [
    pytest.param(
        "Treat it as a stable dependency.",
        RELIABILITY_ZH,
        [("Treat it as a stable dependency.", RELIABILITY_CLAUSE, 0.62)],
        id="en-names-what-a-zh-bu-compound-negates",
    ),
    pytest.param(
        "输出是可信的。",
        "The output cannot be trusted.",
        [("输出是可信的", "The output cannot be trusted.", 0.75)],
        id="zh-affirms-an-en-negation-plainly",
    ),
    pytest.param(
        "If a GPU is found, the script prints a warning.",
        "如果没有找到 GPU，脚本会打印警告。",
        [("If a GPU is found", "如果没有找到 GPU", 0.8)],
        id="en-condition-against-zh-condition",
    ),
    pytest.param(
        "脚本没有检测 GPU。",
        GPU_EN,
        [("脚本没有检测 GPU", "The install script looks for NVIDIA or AMD GPUs.", 0.75)],
        id="zh-statement-negates-en-statement",
    ),
    pytest.param(
        "注意：Ollama 没有登录认证。",
        AUTH_EN,
        [("注意：Ollama 没有登录认证", "Ollama has built-in login authentication", 0.7)],
        id="zh-negation-after-a-lead-still-counts",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs"), CONTRADICTED)
def test_a_negation_on_one_side_still_fires(answer, passage, pairs) -> None:
    verdict = _check(answer, passage, pairs)
    assert [c["kind"] for c in verdict.details["contradictions"]] == ["polarity"], verdict.details
