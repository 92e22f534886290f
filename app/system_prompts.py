"""A client's own system prompts (HTTP chat APIs): recorded in the trace and screened by the prompt_injection
guardrail like the question, never sent to the model. App root, used by the service's ask.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.traces import redact
from chains import GuardInputs, QAResult, TraceCollector, TraceEvent
from guardrails import GuardContext, Guardrail, run_guardrail


def screen_system(
    system: Sequence[str], guard: Guardrail | None, collector: TraceCollector, *, redact_questions: bool
) -> QAResult | None:
    """Record the system prompts, then screen each with `guard` (the policy's prompt_injection guardrail; None
    when the policy turned it off). A refusal here ends the request; None lets it go on."""
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
