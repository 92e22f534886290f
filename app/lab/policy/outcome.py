"""What a stored request's outcome would have been under another policy, by the chain's own decision rules:
a refuse beats a clarify (guardrails.blocking_verdict), a retrieval 'drop' removes chunks, an output check that
fires at an attempt means a re-ask or the next rung. Where the new path leaves the stored one at a point that
needs a model reply that was never made, the answer is 'needs the model', never a guess.

Part of the policy lab (app/lab/policy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app import TraceRecord, Verdict
from app.lab.policy.decisions import Rechecked, dropped
from chains import rejection_feedback
from guardrails import blocking_verdict

Kind = Literal["same", "changed", "needs_model", "incomplete"]


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    status: str | None  # the status under the new policy (None: not known without a model, or inputs missing)
    reason: str


def _stop(verdicts: Sequence[Verdict | None]) -> str | None:
    stop = blocking_verdict([v for v in verdicts if v is not None])
    return None if stop is None else ("refused" if stop.action == "refuse" else "clarify")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def outcome(record: TraceRecord, checks: Sequence[Rechecked], omitted: int) -> Outcome:
    original = record.status

    def new(status: str, reason: str) -> Outcome:
        return Outcome("same" if status == original else "changed", status, reason)

    def needs(reason: str) -> Outcome:
        return Outcome("needs_model", None, reason)

    def end(reason: str) -> Outcome:
        if omitted:
            return Outcome("incomplete", None, f"the inputs of later stages were not kept ({omitted} left out by the size cap)")
        return Outcome("same", original, reason)

    system = [c for c in checks if c.capture.scope == "system"]
    chain = [c for c in checks if c.capture.scope == "chain"]
    for check in system:  # the service screens a client's system prompts before the chain runs
        fired = check.fired("after")
        if fired is None:
            return needs("a client system prompt check would need a signal that was never computed or not kept")
        if fired:
            return new("refused", f"{fired[0].name} refuses the client's system prompt")
    if any(c.fired("before") for c in system):
        return needs("the original refused the client's system prompt: the question itself was never checked")

    stages = {stage: [c for c in chain if c.capture.stage == stage] for stage in ("input", "retrieval", "output")}
    for stage in ("input", "retrieval"):
        if not stages[stage]:
            if stage == "input" or _stop(list(stages["input"][0].before.values())) is None:
                return end("no guardrail input was kept past this point: the stored outcome stands")
            return needs("the original stopped at the input stage: retrieval and the model never ran for this question")
        for check in stages[stage]:  # retrieval: the checks that leave passages out, then the others on the rest
            after = list(check.after.values())
            if any(v is None for v in after):
                return needs(
                    f"{_article(stage)} {stage} check would need a signal that was never computed (no guardrail ran at "
                    "that stage) or not kept"
                )
            status = _stop(after)
            if status is not None:
                names = ", ".join(v.name for v in check.fired("after") or [] if v.action in ("refuse", "clarify"))
                return new(status, f"{names} at the {stage} stage")
    retrieval = stages["retrieval"]
    before_drop = dropped([v for c in retrieval for v in c.before.values()])
    after_drop = dropped([v for c in retrieval for v in c.after.values() if v is not None])
    chunk_ids = {c.chunk_id for c in retrieval[0].capture.context.chunks}  # every retrieved passage: the first part's
    if chunk_ids <= after_drop:  # nothing retrieved, or every passage dropped: the chain refuses, no model asked
        return new(
            "refused", "no retrieved passage is left to answer from (none retrieved, or all dropped as suspected injection)"
        )
    if after_drop != before_drop:
        return needs("a retrieval guardrail would drop other passages: the model would have seen a different prompt")
    if _stop([v for c in retrieval for v in c.before.values()]) is not None or chunk_ids <= before_drop:
        return needs("the original stopped at the retrieval stage: the model was never asked")
    if not stages["output"]:
        return end("no answer reached the output checks (none parsed, or no model answered): the stored outcome stands")
    for check in stages["output"]:
        old, now = check.fired("before"), check.fired("after")
        where = f"attempt {check.capture.attempt} on rung {check.capture.rung or '?'}"
        if now is None:
            why = "".join(f" ({name}: {note})" for name, note in check.notes.items())
            return needs(f"an output check at {where} would need a signal that was never computed or not kept{why}")
        if not old and not now:
            return end(f"the answer of {where} is accepted under both policies")
        if not old and now:
            return needs(f"{now[0].name} rejects the answer of {where} that the original accepted: a re-ask would follow")
        if old and not now:
            return new(
                "answered" if check.capture.rung_index == 0 else "fallback",
                f"the answer of {where}, which the original rejected, is accepted",
            )
        if rejection_feedback(now) != rejection_feedback(old or []):
            return needs(f"the re-ask after {where} would carry different feedback, which the model never saw")
    return end("every stored answer is rejected under both policies, for the same reasons")
