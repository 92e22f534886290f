"""Entering a model rung: its circuit breaker, a cold model loaded within the budget, how the rung is set up
(traced), and the prompt refitted when the model's real context is smaller than num_ctx.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig

from chains.errors import CircuitOpen, WarmupFailed
from chains.rung import ModelRung
from chains.trace import TraceEvent, emit


def fit(rung: ModelRung, inp: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
    """Announce how the rung is set up, and refit the prompt when the model's real context is smaller than
    the num_ctx it was built for (Ollama would clamp num_ctx and cut the prompt's beginning)."""
    for note in rung.notes:
        emit(TraceEvent(step="generation", name="model_setup", outcome="ok", reason=note, model=rung.model), config)
    if not rung.schema_format:
        emit(
            TraceEvent(
                step="generation",
                name="format",
                outcome="fallback",
                reason='this Ollama predates JSON-schema format (0.5): sending format="json"; the parse ladder checks the shape',
                model=rung.model,
            ),
            config,
        )
    window, num_ctx, refit = rung.context_window, inp.get("num_ctx"), inp.get("refit")
    if window and num_ctx and refit and window < num_ctx:
        return {**inp, **refitted(refit, window, rung, config, why=f"{rung.model}'s context is {window} tokens")}
    return inp


def refitted(
    refit: Callable[[int], Any], window: int, rung: ModelRung, config: RunnableConfig, *, why: str, attempt: int = 1
) -> dict[str, Any]:
    prompt = refit(window)
    emit(
        TraceEvent(
            step="context",
            name="context_window",
            outcome="cut",
            reason=f"{why}: the prompt was fitted to {window} tokens ({len(prompt.chunks)} chunks kept)"
            + (f"; {'; '.join(prompt.cut)}" if prompt.cut else ""),
            model=rung.model,
            attempt=attempt,
            details={"window": window, "cut": list(prompt.cut)},
        ),
        config,
    )
    return {"messages": list(prompt.messages), "schema": prompt.schema, "chunks": list(prompt.chunks)}


def prepare(rung: ModelRung, config: RunnableConfig, seconds_left: float | None) -> None:
    if rung.breaker is not None:
        try:
            rung.breaker.check()
        except CircuitOpen as exc:
            emit(
                TraceEvent(step="generation", name="circuit_breaker", outcome="skipped", reason=str(exc), model=rung.model),
                config,
            )
            raise
    if rung.warmup is None or (seconds_left is not None and seconds_left <= 0):
        return  # no budget left: the budget check before the call says so
    started = time.perf_counter()
    try:
        note = rung.warmup(seconds_left if seconds_left is not None else float("inf"))
    except WarmupFailed as exc:
        # Not raised: the model call that follows meets the same fault and goes through the transport
        # retries (and the breaker), so a refused preload is not a shortcut past retry and backoff. But when
        # the warm-up used up the question's budget no call follows, so the breaker hears of it here: else a
        # server that never answers would cost every question its whole budget and never open the breaker.
        if rung.breaker is not None and seconds_left is not None and time.perf_counter() - started >= seconds_left:
            rung.breaker.record_failure()
        emit(
            TraceEvent(
                step="generation",
                name="model_load",
                outcome="error",
                reason=str(exc)[:300],
                model=rung.model,
                duration_ms=(time.perf_counter() - started) * 1000,
            ),
            config,
        )
        return
    if note:
        emit(
            TraceEvent(
                step="generation",
                name="model_load",
                outcome="loading",
                reason=note,
                model=rung.model,
                duration_ms=(time.perf_counter() - started) * 1000,
            ),
            config,
        )
