"""Relevance verdicts built from a best passage score and the coverage signal alone (no index, no embedding): the
tests of the name weights read the guardrail's arithmetic through these."""

from __future__ import annotations

from guardrails.base import Chunk, GuardContext, Signal, Verdict
from guardrails.relevance import COVERAGE_SIGNAL, RelevanceGuardrail

GUARD = RelevanceGuardrail(min_hybrid=0.344, min_hybrid_zh=0.208, unknown_weight=0.25, name_weight=0.5)


def verdict(question: str, best: float, share: float, lacking: tuple[str, ...]) -> Verdict:
    """The default policy's verdict on `question` whose best passage scores `best`, with `share` of its weighed words
    in the corpus and `lacking` the words it lacks."""
    chunks = (Chunk(chunk_id="c", source="doc.md", text="text", score=best, lexical=0.0),)
    signals = {COVERAGE_SIGNAL: Signal(name=COVERAGE_SIGNAL, score=share, evidence=lacking)}
    return GUARD.check(GuardContext(question=question, chunks=chunks, signals=signals))
