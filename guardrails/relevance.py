"""Retrieval guardrail: refuses with "not in your documents" when no retrieved chunk is similar enough.

Pure policy layer; runs after retrieval on the chunk scores, so an unanswerable question never reaches
the model and cannot be answered from the model's own memory.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict


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
        details = {"best_score": best, "searched": searched}
        if best < self.min_score:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="refuse",
                reason=f"not in your documents: the closest passage scores {best:.2f}, below {self.min_score:.2f}",
                evidence=evidence,
                score=best,
                threshold=self.min_score,
                details=details,
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=f"best passage scores {best:.2f} (at least {self.min_score:.2f})",
            evidence=evidence,
            score=best,
            threshold=self.min_score,
            details=details,
        )
