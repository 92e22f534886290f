"""RelevanceGuardrail with hybrid retrieval: best passage's similarity + normalised BM25, minus the penalty for
question terms the corpus never uses; per-language thresholds; explainable verdicts; the missing-signal path."""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext, Signal
from guardrails.relevance import COVERAGE_SIGNAL, RelevanceGuardrail

GUARD = RelevanceGuardrail(min_hybrid=0.35, min_hybrid_zh=0.25, unknown_weight=0.25)


def chunk(source: str, score: float, lexical: float) -> Chunk:
    return Chunk(chunk_id=f"{source}#{score}", source=source, text="text", score=score, lexical=lexical)


def coverage(share: float, unknown: tuple[str, ...] = ()) -> dict[str, Signal]:
    return {COVERAGE_SIGNAL: Signal(name=COVERAGE_SIGNAL, score=share, evidence=unknown)}


@pytest.mark.parametrize(
    ("question", "chunks", "share", "fired"),
    [
        # an identifier the embeddings blur but BM25 matches exactly (the example)
        ("OLLAMA_KEEP_ALIVE 有什么作用？", [chunk("env-zh.md", 0.22, 0.32)], 1.0, False),
        ("What does OLLAMA_NUM_PARALLEL do?", [chunk("env-zh.md", 0.18, 0.40)], 1.0, False),
        # a question in the other language: no shared words, the similarity carries it
        ("How do I use an NVIDIA GPU with the Docker image?", [chunk("docker-zh.md", 0.45, 0.0)], 1.0, False),
        ("拉模型下载到一半断了怎么办", [chunk("faq.txt", 0.30, 0.0)], 1.0, False),
        # off-corpus: similar-sounding tech, words the corpus never uses
        ("How do I configure SSL certificates in Apache?", [chunk("install.md", 0.44, 0.0)], 0.25, True),
        ("怎么配置 Nginx 反向代理的负载均衡？", [chunk("install-zh.md", 0.28, 0.04)], 0.5, True),
        ("Who won the 2018 FIFA World Cup?", [chunk("api.md", 0.06, 0.0)], 0.0, True),
        ("红烧肉怎么做才好吃？", [chunk("rag-zh.md", 0.13, 0.0)], 0.0, True),
    ],
)
def test_decision(question: str, chunks: list[Chunk], share: float, fired: bool) -> None:
    verdict = GUARD.check(GuardContext(question=question, chunks=tuple(chunks), signals=coverage(share)))
    assert verdict.fired is fired, verdict.reason
    assert verdict.action == ("refuse" if fired else "pass")
    assert verdict.reason.startswith("not in your documents" if fired else "covered")


def test_the_threshold_itself_counts_as_covered_and_differs_by_language() -> None:
    at = (chunk("a.md", 0.25, 0.10),)
    assert not GUARD.check(GuardContext(question="english question", chunks=at, signals=coverage(1.0))).fired
    below = (chunk("a.md", 0.25, 0.0999),)
    assert GUARD.check(GuardContext(question="english question", chunks=below, signals=coverage(1.0))).fired
    assert not GUARD.check(GuardContext(question="中文问题", chunks=below, signals=coverage(1.0))).fired
    assert GUARD.check(GuardContext(question="中文问题", chunks=below, signals=coverage(1.0))).threshold == 0.25


def test_verdict_explains_with_both_scores_and_the_unknown_terms() -> None:
    chunks = (chunk("install.md", 0.44, 0.0), chunk("api.md", 0.30, 0.05), chunk("cli.md", 0.2, 0.0), chunk("x.md", 0.1, 0.0))
    verdict = GUARD.check(
        GuardContext(
            question="How do I configure SSL certificates in Apache?",
            chunks=chunks,
            signals=coverage(0.25, ("ssl", "certif", "apach")),
        )
    )
    assert verdict.score == pytest.approx(0.44 - 0.25 * 0.75)
    assert verdict.threshold == 0.35
    assert verdict.evidence[:3] == (
        "install.md (similarity 0.44, bm25 0.00)",
        "api.md (similarity 0.30, bm25 0.05)",
        "cli.md (similarity 0.20, bm25 0.00)",
    )
    assert "unknown term: ssl" in verdict.evidence
    assert verdict.details["unknown_terms"] == ["ssl", "certif", "apach"]
    assert verdict.details["mode"] == "hybrid" and verdict.details["best_passage"] == 0.44
    assert "3 of the question's terms never occur in the documents" in verdict.reason


@pytest.mark.parametrize(
    ("signals", "note"),
    [
        ({}, "question coverage missing, decided on similarity + BM25 alone"),
        (
            {COVERAGE_SIGNAL: Signal(name=COVERAGE_SIGNAL, score=0.0, error="RuntimeError: index closed")},
            "question coverage failed: RuntimeError: index closed",
        ),
    ],
)
def test_without_the_coverage_signal_it_decides_without_the_penalty_and_says_so(signals, note) -> None:
    ctx = GuardContext(question="How do I configure SSL in Apache?", chunks=(chunk("install.md", 0.44, 0.0),), signals=signals)
    verdict = GUARD.check(ctx)
    assert not verdict.fired and verdict.score == 0.44
    assert note in verdict.reason


def test_chunks_without_bm25_scores_use_the_vector_rule_and_say_so() -> None:
    plain = Chunk(chunk_id="c", source="a.md", text="Ollama listens on port 11434.", score=0.5)
    verdict = GUARD.check(GuardContext(question="Which port does Ollama use?", chunks=(plain,)))
    assert not verdict.fired and verdict.details["mode"] == "vector"
    assert "no BM25 scores" in verdict.reason


def test_nothing_retrieved_is_refused() -> None:
    verdict = GUARD.check(GuardContext(question="anything", chunks=(), signals=coverage(1.0)))
    assert verdict.fired and "nothing was retrieved" in verdict.reason
