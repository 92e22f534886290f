"""Which user text an input check must look at: the question plus every user turn sent since the assistant
last answered, so an attack split over consecutive messages is seen whole.

Pure policy layer (stdlib only); the prompt-injection guardrail and the app's input scorers share it.
"""

from __future__ import annotations

from guardrails.base import GuardContext


def pending_user_turns(ctx: GuardContext) -> tuple[str, ...]:
    """The user turns of `ctx.history` after its last assistant turn, oldest first (the question excluded)."""
    pending: list[str] = []
    for turn in reversed(ctx.history):
        if turn.role == "assistant":
            break
        pending.append(turn.content)
    return tuple(reversed(pending))


def pending_text(ctx: GuardContext) -> str:
    """The pending user turns and the question as one text, one message per line (just the question when the
    assistant spoke last)."""
    return "\n".join((*pending_user_turns(ctx), ctx.question))
