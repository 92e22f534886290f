"""Reading one model reply: reasoning kept apart and traced (never parsed), a cut-off reply recognised and
traced, a reply that is all reasoning rejected, then the parse ladder; a failure says what the re-ask should fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig

from chains.errors import ContextOverflow, OutputParseError, OutputRejected, ThinkingOnly
from chains.parsing import Parsed, parse_answer
from chains.replies import Truncation, split_thinking, truncation
from chains.rung import ModelReply, ModelRung
from chains.trace import TraceEvent, emit


def read_reply(
    reply: ModelReply, inp: dict[str, Any], number: int, strikes: int, rung: ModelRung, config: RunnableConfig
) -> Parsed:
    """Reasoning apart from the answer (traced, never parsed), a cut-off reply recognised, then the parse ladder."""
    tagged, content = split_thinking(reply.content)
    reasoning = "\n".join(t for t in (reply.reasoning.strip(), tagged) if t)
    if reasoning:
        emit(
            TraceEvent(
                step="generation",
                name="thinking",
                outcome="ok",
                reason=f"{len(reasoning)} characters of reasoning kept apart; only the answer content is parsed",
                evidence=(reasoning[:2000],),
                attempt=number,
                model=rung.model,
            ),
            config,
        )
    cut = truncation(reply.metadata, num_predict=inp.get("num_predict"), num_ctx=inp.get("num_ctx"))
    if cut is not None:
        emit(
            TraceEvent(
                step="generation",
                name="truncation",
                outcome="fired",
                reason=cut.reason,
                attempt=number,
                model=rung.model,
                details={"kind": cut.kind, "window": cut.window},
            ),
            config,
        )
    if not content.strip() and reasoning:
        error = ThinkingOnly(
            "the reply held only reasoning and no answer; reply with the JSON object only, without reasoning",
            raw=reply.content,
            attempt=number,
            grounding_strikes=strikes,
        )
        emit(_parse_failed(str(error), (), number, rung, reply.content), config)
        raise error
    try:
        return _parse(content, number, strikes, rung, config)
    except OutputParseError as exc:
        raise _cut_off(exc, cut, inp, content, number, strikes) from exc


def _parse(raw: str, number: int, strikes: int, rung: ModelRung, config: RunnableConfig) -> Parsed:
    try:
        parsed = parse_answer(raw, attempt=number)
    except OutputParseError as exc:
        exc.grounding_strikes = strikes  # a parse failure does not reset the grounding re-ask count
        emit(_parse_failed(str(exc), exc.rung_errors, number, rung, raw), config)
        raise
    emit(
        TraceEvent(
            step="parse",
            name="parse_ladder",
            outcome="passed",
            reason=f"parsed by the {parsed.rung} rung" + ("" if parsed.rung == "strict" else " (repaired)"),
            evidence=tuple(f"{a.rung}: {a.error}" for a in parsed.attempts if not a.ok),
            attempt=number,
            model=rung.model,
            raw_output=raw,
            parsed_output=parsed.answer.model_dump(),
            details={"rung": parsed.rung, "repaired_text": parsed.attempts[-1].text if parsed.repaired else None},
        ),
        config,
    )
    return parsed


def _parse_failed(reason: str, evidence: Sequence[str], number: int, rung: ModelRung, raw: str) -> TraceEvent:
    return TraceEvent(
        step="parse",
        name="parse_ladder",
        outcome="fired",
        reason=reason[:300],
        evidence=tuple(evidence),
        attempt=number,
        model=rung.model,
        raw_output=raw,
    )


def _cut_off(
    exc: OutputParseError, cut: Truncation | None, inp: dict[str, Any], raw: str, number: int, strikes: int
) -> OutputRejected:
    """A reply the parse ladder could not save: say why it was cut off, so the re-ask can do better."""
    if cut is None:
        return exc
    if cut.kind == "context" and cut.window and inp.get("refit"):
        return ContextOverflow(f"{cut.reason}; {exc}", raw=raw, window=cut.window, attempt=number, grounding_strikes=strikes)
    shorter = OutputParseError(
        f"{cut.reason}: answer in fewer words. {exc}", raw=raw, rung_errors=exc.rung_errors, attempt=number
    )
    shorter.grounding_strikes = strikes
    return shorter
