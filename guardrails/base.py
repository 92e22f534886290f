"""Guardrail contract: the one Protocol every guardrail implements, and the typed data it sees and returns.

Lowest layer of the stack (pure policy): pydantic + stdlib only, no LangChain, no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal["input", "retrieval", "output"]
FailMode = Literal["open", "closed"]
# What the pipeline should do when a guardrail fires. "pass" means nothing to do.
Action = Literal["pass", "clarify", "refuse", "drop", "reask", "warn"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Turn(_Frozen):
    """One earlier turn of the conversation; history is part of the input."""

    role: Literal["user", "assistant"]
    content: str


class Chunk(_Frozen):
    """A retrieved piece of a document, as the guardrails see it."""

    chunk_id: str = Field(description="Stable id: source + content hash.")
    source: str = Field(description="Document path relative to the corpus root.")
    text: str
    score: float = Field(description="Similarity to the question, 0 (unrelated) .. 1 (identical).")
    label: str = Field(default="", description="Short citation label shown to the model, e.g. S1.")
    lexical: float | None = Field(
        default=None,
        description="Normalised BM25 of the chunk for the question, 0..1; None when no lexical ranking ran.",
    )
    dense_rank: int | None = Field(default=None, description="1-based rank in the vector ranking (None: not a candidate).")
    lexical_rank: int | None = Field(default=None, description="1-based rank in the BM25 ranking (None: not a candidate).")


class Signal(_Frozen):
    """A measurement a guardrail decides on that takes a model to compute (an embedding similarity, a
    classifier score, a BM25 statistic). The app computes it and passes it in; the guardrail only compares it
    with its threshold, so the decision stays pure, explainable and replayable from a stored trace."""

    name: str
    score: float
    evidence: tuple[str, ...] = Field(default=(), description="Why: e.g. the nearest labelled exemplars with their similarity.")
    details: dict[str, Any] = Field(default_factory=dict)
    error: str | None = Field(
        default=None, description="Set when the measurement failed: `score` means nothing, the guardrail says so."
    )


class GuardContext(_Frozen):
    """Everything a guardrail may look at. Fields not yet known at a stage are empty."""

    question: str
    history: tuple[Turn, ...] = ()
    chunks: tuple[Chunk, ...] = ()
    answer: str | None = None
    citations: tuple[str, ...] = Field(default=(), description="Citation labels the model gave.")
    signals: dict[str, Signal] = Field(
        default_factory=dict, description="Model-backed measurements computed by the app for this stage, by name."
    )


class Verdict(_Frozen):
    """The typed result of one guardrail check. Never partial output: fired + action, or passed."""

    name: str
    stage: Stage
    fired: bool
    action: Action = "pass"
    reason: str = Field(description="Plain words: why it fired, or what was checked.")
    evidence: tuple[str, ...] = ()
    score: float | None = None
    threshold: float | None = None
    fail_mode: FailMode = "closed"
    errored: bool = Field(default=False, description="The check itself raised; fail_mode decided the outcome.")
    duration_ms: float = 0.0
    details: dict[str, Any] = Field(default_factory=dict, description="Guardrail-specific structured data.")


@runtime_checkable
class Guardrail(Protocol):
    """One check. Implementations are small frozen dataclasses, one per module."""

    # Read-only members: implementations declare name and stage as ClassVars, fail_mode as a field. One that
    # decides on Signals also names them in `reads: ClassVar[tuple[str, ...]]`: the policy lab recomputes its
    # stored decisions only where it can tell those signals were kept with the trace. A retrieval check that
    # leaves passages out declares `removes_passages: ClassVar[bool] = True` (see `removes_passages`).
    @property
    def name(self) -> str: ...

    @property
    def stage(self) -> Stage: ...

    @property
    def fail_mode(self) -> FailMode: ...

    def check(self, ctx: GuardContext) -> Verdict: ...


def run_guardrail(guardrail: Guardrail, ctx: GuardContext) -> Verdict:
    """Run one check, timing it; an exception becomes a visible verdict according to fail_mode.

    Failing closed blocks (refuse); failing open lets the request through but records that it did,
    so a broken check is never silent.
    """
    started = time.perf_counter()
    try:
        verdict = guardrail.check(ctx)
    except Exception as exc:
        elapsed = (time.perf_counter() - started) * 1000
        closed = guardrail.fail_mode == "closed"
        return Verdict(
            name=guardrail.name,
            stage=guardrail.stage,
            fired=closed,
            action="refuse" if closed else "pass",
            reason=(
                f"check failed ({type(exc).__name__}); failing "
                + ("closed: request blocked" if closed else "open: request allowed")
            ),
            evidence=(str(exc)[:200],),
            fail_mode=guardrail.fail_mode,
            errored=True,
            duration_ms=elapsed,
        )
    elapsed = (time.perf_counter() - started) * 1000
    return verdict.model_copy(update={"duration_ms": elapsed, "fail_mode": guardrail.fail_mode})


def blocking_verdict(verdicts: Iterable[Verdict]) -> Verdict | None:
    """The verdict that stops a request, if any: a fired refuse beats a fired clarify (a question that is
    both vague and hostile is refused, not clarified); any other action lets the request go on."""
    fired = [v for v in verdicts if v.fired]
    return next((v for v in fired if v.action == "refuse"), None) or next((v for v in fired if v.action == "clarify"), None)


def removes_passages(guardrail: Guardrail | type) -> bool:
    """Whether a retrieval check leaves passages out (a fired verdict with action 'drop' naming them in
    details['dropped']) rather than judging them. Such checks run first, on every retrieved passage; the other
    retrieval checks then judge only the passages kept, the ones the model will see."""
    return bool(getattr(guardrail, "removes_passages", False))


def dropped_chunks(verdicts: Iterable[Verdict]) -> frozenset[str]:
    """The chunk ids the fired 'drop' verdicts among `verdicts` leave out of the prompt."""
    return frozenset(str(c) for v in verdicts if v.fired and v.action == "drop" for c in v.details.get("dropped", ()))


def kept_chunks(chunks: Sequence[Chunk], verdicts: Iterable[Verdict]) -> tuple[Chunk, ...]:
    """`chunks` without the ones `verdicts` drop, in their order."""
    dropped = dropped_chunks(verdicts)
    return tuple(c for c in chunks if c.chunk_id not in dropped)
