"""The QAResult each way a request ends: stopped by a guardrail (refused / clarify), every passage quarantined,
or answered by a model rung; and the pieces the fallback's result shares with them (a citation, the note that
passages were left out). Pure: no events, no model."""

from __future__ import annotations

from collections.abc import Sequence

from chains.fallback_text import LEFT_OUT
from chains.generation import Generated
from chains.schemas import Citation, Clarification, QAResult
from guardrails import Chunk, Verdict, blocking_verdict, dropped_chunks


def citation(chunk: Chunk) -> Citation:
    return Citation(source=chunk.source, chunk_id=chunk.chunk_id, label=chunk.label, text=chunk.text, score=chunk.score)


def left_out(verdicts: Sequence[Verdict], lang: str) -> str:
    """The note that passages were quarantined, for a fallback message (they may be where the answer was), or ""."""
    dropped = dropped_chunks(verdicts)
    return LEFT_OUT[lang].format(n=len(dropped)) if dropped else ""


def quarantined(verdicts: list[Verdict]) -> QAResult:
    return QAResult(
        status="refused",
        verdicts=tuple(verdicts),
        message="Every matching passage was quarantined as suspected injection; nothing safe to answer from.",
    )


def blocking(verdicts: list[Verdict], *, retrieved: Sequence[Chunk] = ()) -> QAResult | None:
    """The result that ends the request at this stage (guardrails.blocking_verdict decides which), or None."""
    stop = blocking_verdict(verdicts)
    if stop is None:
        return None
    if stop.action == "refuse":
        return QAResult(status="refused", verdicts=tuple(verdicts), message=stop.reason, retrieved=tuple(retrieved))
    return QAResult(
        status="clarify",
        verdicts=tuple(verdicts),
        needs_clarification=True,
        clarification=Clarification(
            missing=tuple(stop.details.get("missing", ())), questions=tuple(stop.details.get("questions", ()))
        ),
        message=stop.reason,
    )


def answered(generated: Generated, chunks: list[Chunk], verdicts: list[Verdict], *, first_rung: str) -> QAResult:
    """The result of a model rung's accepted answer; `first_rung` names the ladder's first rung (any other one is
    a fallback, and says so)."""
    by_label = {c.label: c for c in generated.chunks}  # what the model was shown, not the request's whole prompt
    cited = [by_label[label] for label in dict.fromkeys(generated.answer.citations) if label in by_label]
    grounding = next((v.score for v in generated.verdicts if v.name == "grounding" and v.score is not None), 1.0)
    retrieval = max((c.score for c in cited), default=0.0)
    on_first = generated.rung.name == first_rung
    return QAResult(
        status="answered" if on_first else "fallback",
        answer=generated.answer.answer,
        citations=tuple(citation(c) for c in cited),
        verdicts=tuple(verdicts) + generated.verdicts,
        rung=generated.rung.name,
        model=generated.rung.model,
        backend=generated.rung.backend,
        confidence=round(min(1.0, retrieval) * min(1.0, grounding), 3),
        retrieved=tuple(chunks),
        message=None if on_first else f"Answered by the fallback rung '{generated.rung.name}' ({generated.rung.model}).",
    )
