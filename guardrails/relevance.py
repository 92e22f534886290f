"""Retrieval guardrail: refuses with "not in your documents" when no retrieved passage is relevant enough.

Pure policy layer; runs after retrieval, so an unanswerable question never reaches the model and cannot be
answered from the model's own memory. With hybrid retrieval each chunk carries two measured scores: cosine
similarity (catches paraphrases and other languages) and normalised BM25 (catches exact identifiers and
Chinese words that embeddings blur). The relevance of a question is the best passage's similarity + BM25,
minus a penalty for the share of the question's words the corpus never uses, each word weighed by how specific
it is in its language (the `question_coverage` signal): "How do I configure SSL certificates in Apache?" is
about things a corpus on Ollama never mentions, while a missing "took" or "好不好" says little. A Chinese question
that lacks a Latin-script name ("Redis 的端口被占用了", guardrails/relevance_names.py), or an English one that lacks a
word written as a name ("PostgreSQL", "AWS", "WSL2"), is about a thing the documents never name, and its unknown
share weighs `name_weight`.
Thresholds differ per corpus; `guarded-rag calibrate` measures them (docs/GUARDRAILS.md). The parameters (the
policy knobs) are guardrails/relevance_params.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from guardrails.base import Chunk, FailMode, GuardContext, Stage, Verdict
from guardrails.relevance_names import latin_names
from guardrails.relevance_params import RelevanceParams
from guardrails.semantic import failure
from guardrails.text import content_terms, has_cjk

COVERAGE_SIGNAL = "question_coverage"
UNKNOWN_TERM = "unknown term: "  # evidence prefix of each question term the corpus never uses


def lexical_overlap(question: str, text: str) -> float:
    """Share of the question's content terms (English words, CJK bigrams) that occur in `text`."""
    wanted = content_terms(question)
    return len(wanted & content_terms(text)) / len(wanted) if wanted else 0.0


def passage_relevance(chunk: Chunk) -> float:
    """A passage's hybrid score: cosine similarity + normalised BM25 (0..2)."""
    return chunk.score + (chunk.lexical or 0.0)


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class RelevanceGuardrail(RelevanceParams):
    name: ClassVar[str] = "relevance"
    stage: ClassVar[Stage] = "retrieval"
    reads: ClassVar[tuple[str, ...]] = (COVERAGE_SIGNAL,)  # the signals it decides on (the policy lab checks they were kept)

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
                threshold=self.threshold_for(ctx.question),
                details={"best_score": None, "searched": []},
            )
        if all(c.lexical is not None for c in ctx.chunks):
            return self._hybrid(ctx)
        return self._vector_only(ctx)

    def threshold_for(self, question: str) -> float:
        return self.min_hybrid_zh if has_cjk(question) else self.min_hybrid

    # -- hybrid retrieval: both scores per passage ------------------------------------------------------
    def _hybrid(self, ctx: GuardContext) -> Verdict:
        ranked = sorted(ctx.chunks, key=passage_relevance, reverse=True)
        best = passage_relevance(ranked[0])
        coverage = ctx.signals.get(COVERAGE_SIGNAL)
        unknown: list[str] = []
        names: tuple[str, ...] = ()
        if coverage is None or failure(coverage) is not None:
            penalty = 0.0
            why = "missing" if coverage is None else f"failed: {failure(coverage)}"
            note = f"; question coverage {why}, decided on similarity + BM25 alone"
        else:
            unknown = list(coverage.evidence)
            names = latin_names(ctx.question, unknown)
            penalty = (self.name_weight if names else self.unknown_weight) * (1.0 - coverage.score)
            note = f"; {len(unknown)} of the question's terms never occur in the documents" if unknown else ""
            note += f" (names the documents never use: {', '.join(names[:3])})" if names else ""
        relevance = round(best - penalty, 4)
        threshold = self.threshold_for(ctx.question)
        evidence = tuple(
            f"{c.source} (similarity {c.score:.2f}, bm25 {c.lexical or 0.0:.2f})" for c in ranked[: self.max_evidence]
        )
        details: dict[str, Any] = {
            "mode": "hybrid",
            "relevance": relevance,
            "best_passage": round(best, 4),
            "best_score": max(c.score for c in ctx.chunks),
            "best_lexical": max(c.lexical or 0.0 for c in ctx.chunks),
            "unknown_terms": unknown,
            "unknown_names": list(names),
            "unknown_penalty": round(penalty, 4),
            "searched": list(dict.fromkeys(c.source for c in ranked)),
        }
        top = ranked[0]
        summary = (
            f"relevance {relevance:.2f} (best passage: similarity {top.score:.2f} + bm25 {top.lexical or 0.0:.2f}"
            + (f" - {penalty:.2f} for unknown terms" if penalty else "")
            + f"; needs {threshold:.2f}){note}"
        )
        fired = not relevance >= threshold  # a NaN score (a zero vector's cosine) refuses: this check fails closed
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=fired,
            action="refuse" if fired else "pass",
            reason=("not in your documents: " if fired else "covered: ") + summary,
            evidence=evidence + tuple(f"{UNKNOWN_TERM}{t}" for t in unknown[:5]),
            score=relevance,
            threshold=threshold,
            details=details,
        )

    # -- vector-only retrieval (or chunks without BM25 scores): similarity and term overlap ------------
    def _vector_only(self, ctx: GuardContext) -> Verdict:
        ranked = sorted(ctx.chunks, key=lambda c: c.score, reverse=True)
        best = ranked[0].score
        searched = list(dict.fromkeys(c.source for c in ranked))
        best_per_source: dict[str, float] = {}
        for chunk in ranked:
            best_per_source.setdefault(chunk.source, chunk.score)
        evidence = tuple(f"{src} ({score:.2f})" for src, score in list(best_per_source.items())[: self.max_evidence])
        overlaps = [lexical_overlap(ctx.question, c.text) for c in ranked]
        lexical = max(overlaps)
        combined = any(
            c.score >= self.combined_score and o >= self.combined_lexical for c, o in zip(ranked, overlaps, strict=True)
        )
        details = {"mode": "vector", "best_score": best, "lexical": round(lexical, 3), "searched": searched}
        covered = best >= self.min_score or lexical >= self.min_lexical or combined
        note = " (no BM25 scores: decided on similarity and term overlap)"
        if not covered:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="refuse",
                reason=(
                    f"not in your documents: the closest passage scores {best:.2f} (needs {self.min_score:.2f}) "
                    f"and shares {lexical:.0%} of the question's terms (needs {self.min_lexical:.0%})" + note
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
            reason=f"covered: best passage scores {best:.2f}, {lexical:.0%} of the question's terms found" + note,
            evidence=evidence,
            score=best,
            threshold=self.min_score,
            details=details,
        )
