"""Signals: how model-backed measurements reach the pure guardrails. The app injects a SignalProvider; before
a stage's guardrails run, the chain asks it for that stage's signals and adds them to the GuardContext.

A provider never raises: a measurement that fails comes back as a Signal with `error` set, so the
guardrail that needs it can say in its verdict that it decided without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from guardrails import GuardContext, Signal, Stage

SignalProvider = Callable[[Stage, GuardContext], Mapping[str, Signal]]


def signal_names(provider: SignalProvider | None, stage: Stage, ctx: GuardContext) -> tuple[str, ...]:
    """The signals `provider` offers at `stage`: the ones it lists (a provider with a `names(stage)` method, like
    the app's SignalBank) and the ones it returned in `ctx`. Stored with a stage's inputs so a replay can tell
    a signal that was never computed from one that was not kept."""
    if provider is None:
        return tuple(ctx.signals)
    names = getattr(provider, "names", None)
    listed: tuple[str, ...] = tuple(str(n) for n in names(stage)) if callable(names) else ()
    return tuple(dict.fromkeys([*listed, *ctx.signals]))


def with_signals(provider: SignalProvider | None, stage: Stage, ctx: GuardContext) -> GuardContext:
    """The context with this stage's signals added (unchanged when there is no provider or nothing to add)."""
    if provider is None:
        return ctx
    found = provider(stage, ctx)
    return ctx.model_copy(update={"signals": {**ctx.signals, **found}}) if found else ctx
