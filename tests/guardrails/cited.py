"""The set-up the grounding tests share: an answer checked against the one passage it cites ([S1]), with or without
the cross-lingual similarity signal, and what a caught wrong answer must show (a finding of the expected kind)."""

from __future__ import annotations

from guardrails.base import Chunk, GuardContext, Signal, Verdict
from guardrails.grounding import SIMILARITY_SIGNAL, GroundingGuardrail

PARAPHRASE_SIMILARITY = 0.8
"""A similarity the signal gives a faithful paraphrase: the tests of checks that must still fire on a wrong answer
that reads like its passage run with it (the overlap alone then lets the answer through)."""


def grounding_verdict(answer: str, passage: str, *, similarity: float | None = None, **params: object) -> Verdict:
    """GroundingGuardrail(**params) on `answer` citing `passage` as [S1]; the similarity signal at `similarity`, or
    absent when None."""
    chunk = Chunk(chunk_id="c1", source="doc.md", text=passage, score=1.0, label="S1")
    signals = {} if similarity is None else {SIMILARITY_SIGNAL: Signal(name=SIMILARITY_SIGNAL, score=similarity)}
    ctx = GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",), signals=signals)
    return GroundingGuardrail(**params).check(ctx)  # type: ignore[arg-type]


def assert_caught(verdict: Verdict, evidence: str) -> None:
    """The verdict fired, and one of its findings starts with `evidence` (its kind, and what it names)."""
    assert verdict.fired, verdict.reason
    assert any(e.startswith(evidence) for e in verdict.evidence), verdict.evidence
