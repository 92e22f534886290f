"""The two ways a question is run: guarded (svc.ask, the whole chain) and raw (same model, same retrieved
context, the same answer prompt, but no guardrails, no `format`, no parse ladder, no retries).

App layer (evaluation lab). Each function turns one EvalItem into one RunRecord and never raises for a
model failure: a transport error is an `error` record, as it would be for a caller of the raw model.
"""

from __future__ import annotations

import time
from pathlib import Path, PurePosixPath
from typing import Any

from app import Chunk, GuardedRAG, LoadProblem, Turn, chunk_text, load_document
from app.lab.evaluation import heuristics as h
from app.lab.evaluation.records import EvalItem, Mode, RunRecord
from app.lab.policy import gold_labels
from guardrails import blocking_verdict

MAX_TEXT = 2000  # characters of model output kept per record
REASK_EVENTS = ("reask", "transport_retry")
NO_ANSWER_RUNGS = ("cannot_answer",)


def _record(item: EvalItem, mode: Mode, **fields: Any) -> RunRecord:
    """A RunRecord carrying the item's identity (dataset, id, kind, language) and the mode that produced it."""
    return RunRecord(dataset=item.dataset, id=item.id, kind=item.kind, mode=mode, lang=item.lang, item=item.fingerprint, **fields)


def _hit(sources: list[str], expected: tuple[str, ...]) -> bool | None:
    if not expected:
        return None
    names = {PurePosixPath(s).name for s in sources}
    return any(PurePosixPath(e).name in names for e in expected)


def _rank(sources: list[str], expected: tuple[str, ...]) -> int | None:
    """1-based rank of the first chunk from an expected source (0 when none was retrieved)."""
    if not expected:
        return None
    wanted = {PurePosixPath(e).name for e in expected}
    return next((i for i, s in enumerate(sources, 1) if PurePosixPath(s).name in wanted), 0)


def _history(item: EvalItem) -> list[Turn]:
    """Earlier user messages of a multi-message item (sent one after another, no answer between)."""
    return [Turn(role="user", content=text) for text in item.history]


def guarded_record(svc: GuardedRAG, item: EvalItem) -> RunRecord:
    """svc.ask, scored from the AskResponse and its trace events. The trace is labelled from the gold data (the
    policy lab's labelled precision/recall and sweeps use these labels)."""
    resp = svc.ask(item.question, history=_history(item))
    for label in gold_labels(item.kind, resp, note=f"eval {item.key}"):
        svc.traces.label(resp.trace_id, label)
    calls = [e for e in resp.events if e.step == "generation" and e.name == "model_call" and e.outcome == "ok"]
    parsed = [e for e in resp.events if e.step == "parse" and e.outcome == "passed"]
    first = (calls[0].raw_output or "") if calls else None
    retrieved_ids = {c.chunk_id for c in resp.retrieved}
    relevance = next((g for g in resp.guardrails if g.name == "relevance"), None)
    best = relevance.score if relevance and relevance.score is not None else max((c.score for c in resp.retrieved), default=None)
    answer = resp.answer if resp.status in ("answered", "fallback") else None
    typed = resp.status != "error" and (
        resp.status not in ("answered", "fallback") or bool(answer) or resp.rung in NO_ANSWER_RUNGS
    )
    return _record(
        item,
        "guarded",
        status=resp.status,
        answer=answer,
        first_output=first[:MAX_TEXT] if first is not None else None,
        first_valid=h.schema_check(first)[0] is not None if first is not None else None,
        final_valid=bool(parsed) if calls else None,
        parse_rung=(parsed[-1].details.get("rung") if parsed else None),
        typed=typed,
        rung=resp.rung,
        citations=tuple(c.chunk_id for c in resp.citations),
        invalid_citations=sum(c.chunk_id not in retrieved_ids for c in resp.citations),
        llm_calls=resp.llm_calls,
        retries=sum(e.name in REASK_EVENTS for e in resp.events),
        latency_ms=resp.latency_ms,
        clarify=resp.status == "clarify",
        declined=resp.status == "refused" or resp.rung in NO_ANSWER_RUNGS or h.declines(answer),
        flagged=any(g.fired and g.stage == "input" and g.action == "refuse" for g in resp.guardrails),
        keyword_match=h.gold_match(answer, item.answer_keywords, item.gold_answers),
        text_match=h.gold_match(answer, item.answer_keywords, item.gold_answers),
        retrieval_hit=_hit([c.source for c in resp.retrieved], item.expected_sources)
        if resp.retrieved or resp.status not in ("clarify", "refused")
        else None,
        hit_rank=_rank([c.source for c in resp.retrieved], item.expected_sources) if resp.retrieved else None,
        best_score=best,
        relevance=relevance.score if relevance else None,
        fired=tuple(g.name for g in resp.guardrails if g.fired),
        error=resp.message if resp.status == "error" else None,
    )


def screen_record(svc: GuardedRAG, item: EvalItem) -> RunRecord:
    """Input guardrails only (svc.screen: the same guardrails and decision rule as svc.ask): flagged = a
    refuse fired, clarify = a clarify fired. Exact for both, since the chain decides them before retrieval."""
    started = time.perf_counter()
    verdicts = svc.screen(item.question, history=_history(item))
    stop = blocking_verdict(verdicts)
    flagged = stop is not None and stop.action == "refuse"
    clarify = stop is not None and stop.action == "clarify"
    return _record(
        item,
        "guarded",
        status="refused" if flagged else "clarify" if clarify else "passed",
        typed=True,
        flagged=flagged,
        clarify=clarify,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        fired=tuple(v.name for v in verdicts if v.fired),
    )


def retrieval_record(svc: GuardedRAG, item: EvalItem) -> RunRecord:
    """Input guardrails, retrieval and retrieval guardrails (svc.screen_retrieval: the same pipeline code as
    svc.ask), no model: refused = the request would end with "not in your documents" (or another refusal)
    before the model. Exact for relevance; the answer itself is not measured."""
    started = time.perf_counter()
    screened = svc.screen_retrieval(item.question)
    blocked = screened.blocked
    status = "passed" if blocked is None else blocked.status
    sources = [c.source for c in screened.retrieved]
    relevance = next((v for v in screened.verdicts if v.name == "relevance"), None)
    return _record(
        item,
        "guarded",
        status=status,
        typed=True,
        clarify=status == "clarify",
        declined=status == "refused",
        flagged=any(v.fired and v.stage == "input" and v.action == "refuse" for v in screened.verdicts),
        retrieval_hit=_hit(sources, item.expected_sources) if sources else None,
        hit_rank=_rank(sources, item.expected_sources) if sources else None,
        best_score=max((c.score for c in screened.retrieved), default=None),
        relevance=relevance.score if relevance else None,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        fired=tuple(v.name for v in screened.verdicts if v.fired),
    )


def passage_chunk(item: EvalItem, docs: Path) -> Chunk:
    """The chunk of `docs/<source>` holding the item's anchor, chunked as ingest would chunk it, labelled S1; or
    the item's own `passage` (a planted document, not in data/docs)."""
    source = item.expected_sources[0]
    if item.passage:
        return Chunk(chunk_id=f"passage:{item.id}", source=source, text=item.passage, score=1.0, label="S1")
    loaded = load_document(docs / source, max_bytes=10_000_000)
    if isinstance(loaded, LoadProblem):
        raise ValueError(f"grounding item {item.id}: cannot read {source}: {loaded.message}")
    for draft in chunk_text(loaded.text, source=source):
        if item.anchor and item.anchor in draft.text:
            return Chunk(chunk_id=draft.chunk_id, source=source, text=draft.text, score=1.0, label="S1")
    raise ValueError(f"grounding item {item.id}: no chunk of {source} contains its anchor {item.anchor!r}")


def grounding_record(svc: GuardedRAG, item: EvalItem, docs: Path) -> RunRecord:
    """The output guardrails (svc.check_answer: grounding, citations, answer relevance, degenerate output, with
    the grounding similarity signal) on a given answer citing its passage: flagged = re-asked, never shown."""
    started = time.perf_counter()
    chunk = passage_chunk(item, docs)
    verdicts = svc.check_answer(item.question, item.answer or "", [chunk], citations=[chunk.label])
    flagged = any(v.fired for v in verdicts)
    return _record(
        item,
        "guarded",
        category=item.category,
        status="rejected" if flagged else "accepted",
        typed=True,
        flagged=flagged,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        fired=tuple(v.name for v in verdicts if v.fired),
        reason="; ".join(f"{v.name}: {v.reason}" for v in verdicts if v.fired)[:500] or None,
    )


def raw_record(svc: GuardedRAG, item: EvalItem) -> RunRecord:
    """svc.raw_answer: the same model, prompt and retrieved passages as the guarded chain, nothing else."""
    raw = svc.raw_answer(item.question)
    chunks = raw.prompt.chunks
    base: dict[str, Any] = dict(
        llm_calls=1,
        retrieval_hit=_hit([c.source for c in chunks], item.expected_sources),
        hit_rank=_rank([c.source for c in chunks], item.expected_sources),
        best_score=max((c.score for c in chunks), default=None),
    )
    if raw.text is None:
        return _record(
            item,
            "raw",
            **base,
            status="error",
            typed=False,
            first_valid=False,
            final_valid=False,
            latency_ms=raw.latency_ms,
            error=raw.error,
        )
    text = raw.text
    answer, problem = h.schema_check(text)
    labels = set(raw.prompt.labels)
    cited = tuple(dict.fromkeys(answer.citations)) if answer else ()
    shown = answer.answer if answer else None
    return _record(
        item,
        "raw",
        **base,
        status="answered",
        answer=shown,
        first_output=text[:MAX_TEXT],
        first_valid=answer is not None,
        final_valid=answer is not None,
        parse_rung="strict" if answer else None,
        typed=answer is not None,
        citations=cited,
        invalid_citations=sum(c not in labels for c in cited),
        latency_ms=raw.latency_ms,
        clarify=_asks(shown or text, item.question) if item.kind in ("vague", "clear") else False,
        declined=h.declines(shown or text),
        keyword_match=h.gold_match(shown, item.answer_keywords, item.gold_answers),
        text_match=h.gold_match(text, item.answer_keywords, item.gold_answers),
        error=problem,
    )


def _asks(text: str, question: str) -> bool:
    # Clarifying = asks back or says what is missing; a bare "not in the documents" is not a clarification.
    return h.asks_question(text, echo=question) or h.says_missing(text)
