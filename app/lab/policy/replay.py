"""Replay stored traces under another policy: every replayable guardrail decision recomputed, the decisions that
flip, fire rates before and after, the outcomes that would change and the ones that would need the model.

Part of the policy lab (app/lab/policy): `guarded-rag policy replay` and the What-if panel of the Traces page
call `replay_traces`. No model and no embedder is called: everything the checks read is in the trace.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from app import GuardrailPolicy, TraceRecord, paused_gc
from app.lab.policy.decisions import Decision, Rechecked, Rechecker
from app.lab.policy.outcome import Kind, Outcome, outcome

NOT_KEPT = "recorded before guardrail inputs were kept"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Flip(_Frozen):
    trace_id: str
    guardrail: str
    stage: str
    attempt: int = Field(description="The nth time this guardrail ran in the request.")
    before: Decision
    after: Decision


class FireRate(_Frozen):
    guardrail: str
    before: float
    after: float
    fired_before: int
    fired_after: int


class OutcomeChange(_Frozen):
    trace_id: str
    kind: Kind
    before: str
    after: str | None = Field(description="None: needs the model (or inputs that were not kept).")
    reason: str


class Skipped(_Frozen):
    trace_id: str
    reason: str


class TraceReplay(_Frozen):
    """One trace replayed: its decisions before/after and its outcome."""

    trace_id: str
    flips: tuple[Flip, ...] = ()
    decisions: tuple[Flip, ...] = Field(default=(), description="Every recomputed decision, flipped or not.")
    outcome: OutcomeChange


class ReplayReport(_Frozen):
    """`replayed`, `flipped`, `outcome_changes` and `needs_model` are the JSON contract of `policy replay --json`."""

    replayed: int
    flipped: list[Flip]
    outcome_changes: list[str]
    needs_model: list[str]
    outcomes: list[OutcomeChange] = Field(description="Why each trace in outcome_changes or needs_model is there.")
    fire_rates: list[FireRate]
    not_replayable: list[Skipped]
    incomplete: list[str] = Field(default_factory=list, description="Outcome unknown: later stages' inputs were not kept.")
    seconds: float = 0.0


def not_replayable(record: TraceRecord) -> str | None:
    """Why a trace cannot be replayed, or None."""
    if record.inputs is None:
        return NOT_KEPT
    if not record.inputs.captures:
        return record.inputs.note or "no guardrail ran in this request"
    return None


def replay_trace(record: TraceRecord, rechecker: Rechecker) -> TraceReplay:
    """The trace's decisions and outcome under `rechecker`'s policy (the trace must be replayable)."""
    assert record.inputs is not None
    checks: list[Rechecked] = rechecker.recheck_all(record.inputs.captures, record.inputs.policy)
    runs: Counter[str] = Counter()
    decisions = []
    for check in checks:
        for name in check.names():
            runs[name] += 1
            decisions.append(
                Flip(
                    trace_id=record.trace_id,
                    guardrail=name,
                    stage=check.capture.stage,
                    attempt=runs[name],
                    before=check.decision(name, "before"),
                    after=check.decision(name, "after"),
                )
            )
    result: Outcome = outcome(record, checks, record.inputs.omitted)
    return TraceReplay(
        trace_id=record.trace_id,
        flips=tuple(d for d in decisions if d.before != d.after),
        decisions=tuple(decisions),
        outcome=OutcomeChange(
            trace_id=record.trace_id, kind=result.kind, before=record.status, after=result.status, reason=result.reason
        ),
    )


def replay_traces(records: Sequence[TraceRecord], policy: GuardrailPolicy, *, fresh: bool = False) -> ReplayReport:
    """Replay `records` (read with their inputs: TraceStore.list(..., full=True)) under `policy`. `fresh`
    recomputes every decision, even those whose guardrail kept its parameters (the tests' purity check)."""
    started = time.perf_counter()
    rechecker = Rechecker(policy, fresh=fresh)
    skipped, replays = [], []
    with paused_gc():
        for record in records:
            why = not_replayable(record)
            if why is not None:
                skipped.append(Skipped(trace_id=record.trace_id, reason=why))
            else:
                replays.append(replay_trace(record, rechecker))
    fired = {when: Counter(d.guardrail for r in replays for d in _first_fired(r, when)) for when in ("before", "after")}
    names = list(dict.fromkeys(d.guardrail for r in replays for d in r.decisions))
    n = max(1, len(replays))
    changed = [r.outcome for r in replays if r.outcome.kind == "changed"]
    needs = [r.outcome for r in replays if r.outcome.kind == "needs_model"]
    return ReplayReport(
        replayed=len(replays),
        flipped=[f for r in replays for f in r.flips],
        outcome_changes=[o.trace_id for o in changed],
        needs_model=[o.trace_id for o in needs],
        outcomes=[*changed, *needs],
        fire_rates=[
            FireRate(
                guardrail=name,
                before=round(fired["before"][name] / n, 4),
                after=round(fired["after"][name] / n, 4),
                fired_before=fired["before"][name],
                fired_after=fired["after"][name],
            )
            for name in names
        ],
        not_replayable=skipped,
        incomplete=[r.trace_id for r in replays if r.outcome.kind == "incomplete"],
        seconds=round(time.perf_counter() - started, 4),
    )


def _first_fired(replay: TraceReplay, when: str) -> list[Flip]:
    """One decision per guardrail that fired somewhere in the trace (fire rate = share of traces)."""
    seen: dict[str, Flip] = {}
    for d in replay.decisions:
        if (d.before if when == "before" else d.after) == "fired":
            seen.setdefault(d.guardrail, d)
    return list(seen.values())
