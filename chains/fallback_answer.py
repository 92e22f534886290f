"""The answer when no model rung produced a usable one: the best-matching sentences of the retrieved passages,
quoted (each screened first by the output checks that judge quotes too), or an honest "cannot answer". Each
outcome is a trace event."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.runnables import RunnableConfig

from chains.extractive import Extract, extract_answer
from chains.fallback_text import CANNOT_ANSWER, QUOTED, no_model_answer
from chains.outcomes import citation, left_out
from chains.schemas import QARequest, QAResult
from chains.trace import TraceEvent, emit
from guardrails import Chunk, GuardContext, Guardrail, Verdict, run_guardrail
from guardrails.text import lang_of


def screened_extract(
    request: QARequest, chunks: list[Chunk], output_guardrails: Sequence[Guardrail], config: RunnableConfig
) -> Extract | None:
    """The best-matching sentences, each screened first by the output checks that judge quotes too
    (`screens_quotes`: answer_injection): the model's answers may have been rejected for passing on what a
    planted sentence says, and quoting that sentence would pass it on all the same. What was left out, and
    why, goes to the trace."""
    screens = [g for g in output_guardrails if getattr(g, "screens_quotes", False)]
    left: list[Verdict] = []

    def keep(sentence: str, chunk: Chunk) -> bool:
        ctx = GuardContext(question=request.question, chunks=(chunk,), answer=sentence, citations=(chunk.label,))
        fired = [v for v in (run_guardrail(g, ctx) for g in screens) if v.fired]
        left.extend(fired)
        return not fired

    extract = extract_answer(request.question, chunks, keep=keep if screens else None)
    if left:
        emit(
            TraceEvent(
                step="fallback",
                name="quote_screen",
                outcome="fired",
                reason=f"{len(left)} sentence(s) not quoted: {left[0].name}: {left[0].reason[:200]}",
                evidence=tuple(e for v in left for e in v.evidence)[:10],
            ),
            config,
        )
    return extract


def extractive_result(
    request: QARequest,
    chunks: list[Chunk],
    verdicts: list[Verdict],
    output_guardrails: Sequence[Guardrail],
    config: RunnableConfig,
    *,
    why: BaseException,
) -> QAResult:
    """Quoted sentences (rung "extractive") or "cannot answer" (rung "cannot_answer"); `why` is the ladder's
    first failure, said in the message."""
    extract = screened_extract(request, chunks, output_guardrails, config)
    lang = lang_of(request.question)
    if extract is None:
        emit(
            TraceEvent(
                step="fallback",
                name="cannot_answer",
                outcome="fallback",
                reason="no sentence of the retrieved passages matches the question",
            ),
            config,
        )
        return QAResult(
            status="fallback",
            answer=None,
            verdicts=tuple(verdicts),
            rung="cannot_answer",
            retrieved=tuple(chunks),
            message=CANNOT_ANSWER[lang] + left_out(verdicts, lang),
        )
    emit(
        TraceEvent(
            step="fallback",
            name="extractive",
            outcome="fallback",
            reason=f"quoted {len(extract.sentences)} best-matching sentence(s) (overlap {extract.overlap:.2f})",
            evidence=tuple(s for s, _ in extract.sentences),
        ),
        config,
    )
    return QAResult(
        status="fallback",
        answer=extract.text,
        citations=tuple(citation(c) for c in extract.chunks),
        verdicts=tuple(verdicts),
        rung="extractive",
        confidence=round(min(1.0, extract.overlap) * max(c.score for c in extract.chunks) * 0.5, 3),
        retrieved=tuple(chunks),
        message=no_model_answer(why, lang) + QUOTED[lang] + left_out(verdicts, lang),
    )
