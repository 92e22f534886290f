"""The relevance guardrail's parameters: the thresholds a policy may set (per language with BM25 scores, the
unknown-terms penalties, and the fallbacks without BM25 scores), each with its default and what it means.
guardrails/relevance.py decides with them; `guarded-rag calibrate` sets min_hybrid and min_hybrid_zh per corpus.

Pure policy layer (pydantic + stdlib).
"""

from __future__ import annotations

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class RelevanceParams:
    """RelevanceGuardrail's parameters (it adds `fail_mode`); a policy's [relevance] table sets them."""

    min_hybrid: float = Field(
        default=0.344,
        ge=0.0,
        le=2.0,
        description="Least relevance (best passage's similarity + normalised BM25, minus the unknown-terms penalty) "
        "for a question without Chinese characters; set per corpus by `guarded-rag calibrate`.",
    )
    min_hybrid_zh: float = Field(
        default=0.208, ge=0.0, le=2.0, description="The same threshold for questions with Chinese characters."
    )
    unknown_weight: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="Penalty per unit share of the question's words that occur nowhere in the corpus "
        "(the `question_coverage` signal's share, each word weighed by its rarity in its language).",
    )
    name_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="The same penalty for a question whose unknown words include a name: any Latin-script word of "
        "a Chinese question (vLLM, Redis), a word written as a name in another (PostgreSQL, AWS, WSL2): a thing the "
        "documents never name.",
    )
    min_score: float = Field(
        default=0.35,
        ge=0.0,
        le=1.0,
        description="Without BM25 scores (vector-only retrieval): lowest similarity that counts as covered.",
    )
    min_lexical: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="Without BM25 scores: share of question terms found in a chunk that counts as covered on its own.",
    )
    combined_score: float = Field(
        default=0.25, ge=0.0, le=1.0, description="Without BM25 scores: similarity that counts when lexical >= combined_lexical."
    )
    combined_lexical: float = Field(
        default=0.3, ge=0.0, le=1.0, description="Without BM25 scores: lexical share that counts with combined_score."
    )
    max_evidence: int = Field(default=3, ge=1, description="How many best passages to list as evidence.")
