"""A client's own system prompts (HTTP chat APIs): recorded in the trace and screened by the prompt_injection
guardrail like the question, never sent to the model. App root, used by the service's ask, so every caller (the
HTTP server, the Python API) gets the same cap.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.traces import redact
from chains import GuardInputs, QAResult, TraceCollector, TraceEvent
from guardrails import GuardContext, Guardrail, run_guardrail

# Client system prompts screened and recorded one by one (a screen, a trace event and a stored capture each); the
# rest are joined into the last of these. A request with 2,000 of them cost 2,000 of each, and a 1 MB body of
# short ones ~40,000; clients send one or two.
MAX_SYSTEM_PROMPTS = 16


def cap_system(system: Sequence[str]) -> tuple[str, ...]:
    """At most MAX_SYSTEM_PROMPTS system prompts: beyond that, the last one holds all the rest, joined under a line
    that says so (the trace shows it). Nothing is dropped: the prompt_injection guardrail still reads every word
    (the joined ones as one text), and the trace keeps them as far as its inputs cap allows."""
    if len(system) <= MAX_SYSTEM_PROMPTS:
        return tuple(system)
    first = MAX_SYSTEM_PROMPTS  # the 1-based number of the first one joined
    note = (
        f"[guarded-rag: client system prompts {first} to {len(system)} of {len(system)}, joined into one: "
        f"at most {MAX_SYSTEM_PROMPTS} are screened and recorded apart]"
    )
    return (*system[: first - 1], "\n\n".join((note, *system[first - 1 :])))


def screen_system(
    system: Sequence[str], guard: Guardrail | None, collector: TraceCollector, *, redact_questions: bool
) -> QAResult | None:
    """Record the system prompts, then screen each with `guard` (the policy's prompt_injection guardrail; None
    when the policy turned it off), at most MAX_SYSTEM_PROMPTS of them (`cap_system`). A refusal here ends the
    request; None lets it go on."""
    system = cap_system(system)
    shown = tuple(redact(t) if redact_questions else t[:2000] for t in system)
    collector.add(
        TraceEvent(
            step="input",
            name="client_system_prompt",
            outcome="ok",
            reason=f"{len(system)} client system prompt(s) recorded; not sent to the model (the app's own instructions stay)",
            evidence=shown,
        )
    )
    if guard is None:  # nothing to screen with
        return None
    for text in system:
        ctx = GuardContext(question=text)
        verdict = run_guardrail(guard, ctx)
        # screened without signals (none is computed for a system prompt): a replay decides the same way
        collector.add_inputs(GuardInputs(stage="input", scope="system", context=ctx, verdicts=(verdict,), signals_offered=()))
        verdict = verdict.model_copy(update={"reason": "in the client's system prompt: " + verdict.reason})
        collector.add(
            TraceEvent(
                step="input",
                name=verdict.name,
                outcome="fired" if verdict.fired else "passed",
                reason=verdict.reason,
                evidence=verdict.evidence,
                details={"scanned": "client system prompt", "action": verdict.action, "score": verdict.score},
            )
        )
        if verdict.fired:
            return QAResult(status="refused", verdicts=(verdict,), message=verdict.reason)
    return None
