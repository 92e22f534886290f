"""Latency variance: the same request N times against the service's model; distribution, p50/p95, cold vs
warm (the first call after a fresh model load vs later calls), and what a timeout at p95 would cut.

App layer (experiments lab). The request is what the app sends: the answer prompt with the retrieved
passages and the answer JSON schema as `format`.
"""

from __future__ import annotations

import statistics
from typing import Any

import matplotlib.pyplot as plt

from app import AskOptions, GuardedRAG, percentile
from app.lab.experiments.common import ExperimentReport, LabResult, Note, call, figure_png, lab_model, note

QUESTION = "What port does Ollama listen on by default?"
TITLE = "Latency variance: the same request, N times"
_COLD = "warm = the same request after the model is loaded; cold = the first request on a freshly loaded model"
NOTES = {
    "latency.cold_embedded": _COLD + " (a new llama.cpp engine)",
    "latency.cold_ollama": _COLD + " (after unloading it with keep_alive=0)",
    "latency.prefix_cache": "the identical prompt lets llama.cpp/Ollama reuse the cached prompt prefix, so warm calls "
    "are mostly decode; a cold call pays the model load (load_ms) plus the whole prompt evaluation, which dominates on CPU",
    "latency.timeout_p95": "a timeout at warm p95 cuts ~5% of healthy warm calls by definition, and every cold call "
    "slower than it: that is why the first request gets the separate load_timeout",
    "latency.no_cold": "cold start not measured: this backend gives no way to reload the model",
}


def _stats(values: list[float]) -> dict[str, float | None]:
    return {
        "p50_ms": _r(percentile(values, 50)),
        "p95_ms": _r(percentile(values, 95)),
        "mean_ms": _r(statistics.fmean(values)) if values else None,
        "min_ms": _r(min(values, default=None)),
        "max_ms": _r(max(values, default=None)),
        "stdev_ms": _r(statistics.stdev(values)) if len(values) > 1 else None,
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def run_latency(svc: GuardedRAG, *, n: int = 20, cold: int = 2, options: AskOptions | None = None) -> LabResult:
    """Warm calls of the app's own request (svc.answer_prompt: its prompt, passages and capped schema; an
    uncapped schema lets a looping reply run to num_predict, measured 513 tokens and 11.5 s among 0.4 s
    calls, which the app's requests cannot do), plus `cold` calls on a freshly loaded model when the
    backend can give one (svc.fresh_chat_model). `options`: a session's, whose settings choose the model."""
    settings, _ = svc.effective(options)
    ref = svc.answering_model(settings)
    prompt = svc.answer_prompt(QUESTION, settings=settings)
    messages = list(prompt.messages)
    rows: list[dict[str, Any]] = []
    for i in range(cold):
        fresh = svc.fresh_chat_model(format=prompt.schema, timeout=settings.load_timeout, settings=settings)
        if fresh is None:
            break
        c = call(fresh, messages)
        rows.append({"phase": "cold", "i": i, "ms": c.ms, "load_ms": c.load_ms, "tokens": c.tokens})
    llm = lab_model(svc, settings, format=prompt.schema)
    call(llm, messages)  # warm-up, not recorded: the warm series must not contain a load
    for i in range(n):
        c = call(llm, messages)
        rows.append({"phase": "warm", "i": i, "ms": c.ms, "load_ms": c.load_ms, "tokens": c.tokens})
    warm = [r["ms"] for r in rows if r["phase"] == "warm"]
    colds = [r["ms"] for r in rows if r["phase"] == "cold"]
    p95, warm_p50 = percentile(warm, 95), percentile(warm, 50)
    summary: dict[str, Any] = {f"warm_{k}": v for k, v in _stats(warm).items()}
    loads = [r["load_ms"] for r in rows if r["phase"] == "cold" and r["load_ms"] is not None]
    summary |= {
        "cold_calls": len(colds),
        "cold_mean_ms": _r(statistics.fmean(colds)) if colds else None,
        "cold_load_mean_ms": _r(statistics.fmean(loads)) if loads else None,
        "cold_over_warm_p50": round(statistics.fmean(colds) / warm_p50, 2) if colds and warm_p50 else None,
    }
    if p95 is not None:
        summary["timeout_at_p95_cuts_warm"] = round(sum(w > p95 for w in warm) / len(warm), 3)
        summary["timeout_at_p95_cuts_cold"] = round(sum(c > p95 for c in colds) / len(colds), 3) if colds else None
    summary["configured_timeout_s"] = settings.timeout
    keys = [f"latency.cold_{ref.kind}", "latency.prefix_cache", "latency.timeout_p95"]
    keys += [] if colds else ["latency.no_cold"]
    notes: list[Note] = [note(NOTES, k) for k in keys]
    report = ExperimentReport(
        name="latency",
        title=TITLE,
        backend=ref.kind,
        model=ref.model,
        params={"n": n, "cold": len(colds), "question": QUESTION, "chunks": len(prompt.chunks)},
        summary=summary,
        rows=rows,
        notes=tuple(notes),
    )
    return LabResult(report=report, png=figure_png(_chart(warm, colds, p95)))


def _chart(warm: list[float], colds: list[float], p95: float | None) -> Any:
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2))
    left.plot(range(1, len(warm) + 1), [w / 1000 for w in warm], "o-", ms=3, label="warm")
    if colds:
        left.plot([0] * len(colds), [c / 1000 for c in colds], "rs", label="cold (fresh load)")
    if p95 is not None:
        left.axhline(p95 / 1000, color="gray", ls="--", lw=1, label="warm p95")
    left.set_xlabel("call #")
    left.set_ylabel("seconds")
    left.legend(fontsize=7)
    left.set_title("per call", fontsize=10)
    right.hist([w / 1000 for w in warm], bins=min(20, max(5, len(warm) // 2)), color="#2b7bba")
    right.set_xlabel("seconds (warm)")
    right.set_title("distribution", fontsize=10)
    fig.tight_layout()
    return fig
