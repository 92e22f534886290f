"""Recompute the guardrail decisions of one stored request under another policy: for every stage input the trace
kept (GuardInputs), each guardrail's decision before (the stored verdict) and after (the new policy's verdict on
the same context). Pure: guardrails are pure functions of their parameters and the context (model-computed
numbers arrive as Signals stored in it), so nothing here calls a model or an embedder. A decision is 'unknown'
where it would need a signal that was never computed (no guardrail ran at that stage: a guardrail that reads no
signal is still decided there) or that the trace may not
have kept (a guardrail reading a signal the context lacks, in a trace recorded before the offered signals were
listed); a signal the app never offered was not used by the original either, and is not used now.

Part of the policy lab (app/lab/policy), a client of the app like the rest of app/lab.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from app import Chunk, GuardContext, GuardInputs, GuardrailPolicy, Verdict, unrecorded_signals
from guardrails import (
    REGISTRY,
    Guardrail,
    Stage,
    blocking_verdict,
    dropped_chunks,
    kept_chunks,
    removes_passages,
    run_guardrail,
)

Decision = Literal["fired", "passed", "off", "unknown"]
SYSTEM_SCOPE_GUARDRAILS = ("prompt_injection",)  # what the service screens a client's system prompt with


@dataclass(frozen=True)
class Rechecked:
    """One stage input with the decisions before and after, by guardrail name (registry order)."""

    capture: GuardInputs
    before: Mapping[str, Verdict]  # the stored verdicts (guardrails that did not run are absent)
    after: Mapping[str, Verdict | None]  # None: unknown (a signal it may read was never computed or not kept)
    disabled: frozenset[str]  # off under the new policy
    notes: Mapping[str, str] = field(default_factory=dict)  # why a decision after is unknown, where more can be said

    def decision(self, name: str, when: Literal["before", "after"]) -> Decision:
        if when == "before":
            verdict = self.before.get(name)
            return "off" if verdict is None else ("fired" if verdict.fired else "passed")
        if name in self.disabled or name not in self.after:
            return "off"
        found = self.after[name]
        return "unknown" if found is None else ("fired" if found.fired else "passed")

    def fired(self, when: Literal["before", "after"]) -> list[Verdict] | None:
        """The fired verdicts in run order; None when a decision after is unknown."""
        if when == "before":
            return [v for v in self.before.values() if v.fired]
        if any(v is None for v in self.after.values()):
            return None
        return [v for v in self.after.values() if v is not None and v.fired]

    def names(self) -> list[str]:
        """The guardrails that decided here under either policy (one switched off shows as 'off' on that side)."""
        return list(dict.fromkeys([*self.before, *self.after]))


class Rechecker:
    """The new policy's guardrails, built once and applied to many stored stage inputs."""

    def __init__(self, policy: GuardrailPolicy, *, fresh: bool = False) -> None:
        from guardrails import build_guardrails

        self.policy = policy
        self.fresh = fresh  # recompute every decision, even where the guardrail's parameters did not change
        self._guards: dict[Stage, tuple[Guardrail, ...]] = build_guardrails(policy)
        self._params = {name: policy.params(name) for name in REGISTRY}
        self._disabled = {
            stage: frozenset(n for n, cls in REGISTRY.items() if _stage_of(cls) == stage and not policy.is_enabled(n))
            for stage in ("input", "retrieval", "output")
        }

    def _same_params(self, old: GuardrailPolicy | None, name: str) -> bool:
        return old is not None and old.is_enabled(name) and old.params(name) == self._params[name]

    def recheck(self, capture: GuardInputs, old_policy: GuardrailPolicy | None, *, judged: Judged | None = None) -> Rechecked:
        """The decisions on one stored stage input. Retrieval is decided as the chain runs it: the checks that
        leave passages out first, on every retrieved passage, then the others on the passages kept. A 'judge'
        capture is decided on `judged`, what the new filters keep of its request's 'filter' capture
        (`judged_passages`, see recheck_all). Without `judged`, or in a 'whole' capture (recorded before the split),
        the capture saw every retrieved passage (no filter ran before it): the new filters are decided on it first
        and the judges on what they keep."""
        before = {v.name: v for v in capture.verdicts}
        guards = [g for g in self._guards[capture.stage] if capture.scope == "chain" or g.name in SYSTEM_SCOPE_GUARDRAILS]
        if capture.stage != "retrieval":
            return self._rechecked(capture, before, self._decide(guards, capture, capture.context, before, old_policy))
        after: dict[str, Verdict | None] = {}
        if capture.part != "judge" or judged is None:
            after = self._decide([g for g in guards if removes_passages(g)], capture, capture.context, before, old_policy)
            judged = judged_passages(capture.context.chunks, after)
        if capture.part != "filter" and judged != "stop":
            judges = [g for g in guards if not removes_passages(g)]
            if judged == "unknown":
                after |= dict.fromkeys((g.name for g in judges), None)
            else:
                context = capture.context.model_copy(update={"chunks": judged})
                after |= self._decide(judges, capture, context, before, old_policy)
        return self._rechecked(capture, before, after)

    def recheck_all(self, captures: Sequence[GuardInputs], old_policy: GuardrailPolicy | None) -> list[Rechecked]:
        """Every stored stage input of one request, in order, a retrieval 'judge' capture decided on what the new
        policy's filters keep of the 'filter' capture before it (none before it: no filter ran, it holds every
        retrieved passage, and the new filters are decided on it). Where the request stopped after the filter
        part (a refusal, every passage dropped; or its judge part was not kept) but the new filters let passages
        through, the judges are decided on the filter part's context (question and retrieval signals) with those
        passages, as the chain would now go on."""
        checks: list[Rechecked] = []
        judged: Judged | None = None
        for i, capture in enumerate(captures):
            checks.append(self.recheck(capture, old_policy, judged=judged if capture.part == "judge" else None))
            judged = None
            if capture.part != "filter" or capture.scope != "chain":
                continue
            judged = judged_passages(capture.context.chunks, checks[-1].after)
            follows = i + 1 < len(captures) and captures[i + 1].part == "judge"
            if not follows and judged != "stop":
                judge = capture.model_copy(update={"part": "judge", "verdicts": ()})
                checks.append(self.recheck(judge, old_policy, judged=judged))
        return checks

    def _decide(
        self,
        guards: Sequence[Guardrail],
        capture: GuardInputs,
        context: GuardContext,
        before: Mapping[str, Verdict],
        old_policy: GuardrailPolicy | None,
    ) -> dict[str, Verdict | None]:
        after: dict[str, Verdict | None] = {}
        same_context = context.chunks == capture.context.chunks  # the passages the stored verdicts were decided on
        for guard in guards:
            stored = before.get(guard.name)
            if stored is not None and same_context and not self.fresh and self._same_params(old_policy, guard.name):
                after[guard.name] = stored  # pure: the same parameters on the same context decide the same
            elif uncomputed_signals(guard, capture) or unkept_signals(guard, capture) or unrecorded_signals(guard, context):
                # a signal it reads (or a part of one it would now use) was never computed or not kept: deciding
                # now would be a guess
                after[guard.name] = None
            else:
                after[guard.name] = run_guardrail(guard, context)
        return after

    def _rechecked(self, capture: GuardInputs, before: Mapping[str, Verdict], after: Mapping[str, Verdict | None]) -> Rechecked:
        notes = {
            g.name: "; ".join(gaps)
            for g in self._guards[capture.stage]
            if g.name in after and after[g.name] is None and (gaps := unrecorded_signals(g, capture.context))
        }
        return Rechecked(capture=capture, before=before, after=after, disabled=self._disabled[capture.stage], notes=notes)


# What the retrieval checks that judge passages (relevance) decide on, after the ones that leave passages out: the
# passages kept; "stop": the chain stops before them (a filter refuses, or every retrieved passage is dropped);
# "unknown": a filter decision is unknown, and so is theirs.
Judged = tuple[Chunk, ...] | Literal["stop", "unknown"]


def judged_passages(chunks: tuple[Chunk, ...], filtered: Mapping[str, Verdict | None]) -> Judged:
    """What the retrieval judges decide on, given the filter checks' decisions `filtered` on `chunks`."""
    if any(v is None for v in filtered.values()):
        return "unknown"
    verdicts = [v for v in filtered.values() if v is not None]
    kept = kept_chunks(chunks, verdicts)
    return "stop" if blocking_verdict(verdicts) is not None or (chunks and not kept) else kept


def uncomputed_signals(guard: Guardrail | type, capture: GuardInputs) -> tuple[str, ...]:
    """The signals `guard` reads when no guardrail ran at `capture`'s stage (`measured` False), so none was
    computed. A guardrail that reads none (input_size, context_injection, citations, ...) decides on the context
    alone, which the capture holds whole: turning it on in a replay is decided, not 'needs the model'."""
    return () if capture.measured else tuple(getattr(guard, "reads", None) or ())


def unkept_signals(guard: Guardrail | type, capture: GuardInputs) -> tuple[str, ...]:
    """The signals `guard` reads that `capture`'s context lacks when the capture cannot say whether they were
    computed (recorded before GuardInputs.signals_offered). With the list, a signal absent from both was never
    offered by that app: the guardrail decided without it (and says so in its verdict), and so does a replay."""
    if capture.signals_offered is not None:
        return ()
    return tuple(s for s in getattr(guard, "reads", ()) if s not in capture.context.signals)


def _stage_of(cls: type) -> str:
    return str(getattr(cls, "stage", ""))


def dropped(verdicts: list[Verdict]) -> frozenset[str]:
    """Chunk ids a retrieval guardrail removed from the prompt (the chain's rule: a fired 'drop')."""
    return dropped_chunks(verdicts)
