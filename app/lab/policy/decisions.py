"""Recompute the guardrail decisions of one stored request under another policy: for every stage input the trace
kept (GuardInputs), each guardrail's decision before (the stored verdict) and after (the new policy's verdict on
the same context). Pure: guardrails are pure functions of their parameters and the context (model-computed
numbers arrive as Signals stored in it), so nothing here calls a model or an embedder. A decision is 'unknown'
where it would need a signal that was never computed (no guardrail ran at that stage) or that the trace may not
have kept (a guardrail reading a signal the context lacks, in a trace recorded before the offered signals were
listed); a signal the app never offered was not used by the original either, and is not used now.

Part of the policy lab (app/lab/policy), a client of the app like the rest of app/lab.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from app import GuardInputs, GuardrailPolicy, Verdict
from guardrails import REGISTRY, Guardrail, Stage, run_guardrail

Decision = Literal["fired", "passed", "off", "unknown"]
SYSTEM_SCOPE_GUARDRAILS = ("prompt_injection",)  # what the service screens a client's system prompt with


@dataclass(frozen=True)
class Rechecked:
    """One stage input with the decisions before and after, by guardrail name (registry order)."""

    capture: GuardInputs
    before: Mapping[str, Verdict]  # the stored verdicts (guardrails that did not run are absent)
    after: Mapping[str, Verdict | None]  # None: unknown (a signal it may read was never computed or not kept)
    disabled: frozenset[str]  # off under the new policy

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

    def recheck(self, capture: GuardInputs, old_policy: GuardrailPolicy | None) -> Rechecked:
        before = {v.name: v for v in capture.verdicts}
        guards = [g for g in self._guards[capture.stage] if capture.scope == "chain" or g.name in SYSTEM_SCOPE_GUARDRAILS]
        after: dict[str, Verdict | None] = {}
        for guard in guards:
            stored = before.get(guard.name)
            if stored is not None and not self.fresh and self._same_params(old_policy, guard.name):
                after[guard.name] = stored  # pure: the same parameters on the same context decide the same
            elif not capture.measured or unkept_signals(guard, capture):
                after[guard.name] = None  # a signal it reads was never computed or not kept: deciding now would be a guess
            else:
                after[guard.name] = run_guardrail(guard, capture.context)
        return Rechecked(capture=capture, before=before, after=after, disabled=self._disabled[capture.stage])


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
    return frozenset(str(c) for v in verdicts if v.fired and v.action == "drop" for c in v.details.get("dropped", ()))
