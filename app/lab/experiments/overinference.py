"""Over-inference: vague prompts that leave out what they are about, raw (the model alone) vs guarded
(svc.ask). How often does the raw model invent the missing context, and how often does the guard ask for it?

App layer (experiments lab). "Invented" is the heuristic in app/lab/evaluation/heuristics.py (over_inferred):
a non-empty reply that neither asks a question nor says information is missing nor declines.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from langchain_core.messages import HumanMessage

from app import AskOptions, GuardedRAG
from app.lab.evaluation import heuristics as h
from app.lab.evaluation.dataset_file import DatasetError
from app.lab.evaluation.datasets import resolve
from app.lab.experiments.common import ExperimentReport, LabResult, call, figure_png, lab_model, note

FIXED = ("请判断这个方案是否合理。", "Is this plan reasonable?")
TITLE = "Over-inference: vague prompts, raw vs guarded"
NOTES = {
    "overinference.raw": "raw = the bare question to the same model (no system prompt, no documents, no format)",
    "overinference.invented": "invented = a non-empty reply that neither asks a question (a '?' not echoing the prompt) "
    "nor says information is missing nor declines (phrase lists in app/lab/evaluation/heuristics.py); a lower bound, "
    "since a reply that asks a rhetorical question while inventing is counted as asking",
    "overinference.guarded": "guarded = svc.ask: the completeness guardrail answers status=clarify before any model call",
}


def vague_prompts(n: int) -> list[str]:
    """The two fixed prompts, then vague=true questions of data/eval/vague.jsonl, alternating zh/en."""
    prompts = list(FIXED)
    try:
        items = [i for i in resolve("vague") or [] if i.kind == "vague"]
    except DatasetError:
        items = []
    by_lang = [[i.question for i in items if i.lang == "zh"], [i.question for i in items if i.lang != "zh"]]
    for pair in zip(*by_lang, strict=False):
        prompts += [q for q in pair if q not in prompts]
    return prompts[: max(1, n)]


def run_overinference(svc: GuardedRAG, *, n: int = 6, options: AskOptions | None = None) -> LabResult:
    """Raw: the model of the session's settings (`options`, else the service's); guarded: svc.ask with `options`,
    so the session's policy decides whether the question is clarified."""
    settings, _ = svc.effective(options)
    ref = svc.answering_model(settings)
    llm = lab_model(svc, settings)
    rows: list[dict[str, Any]] = []
    for prompt in vague_prompts(n):
        reply = call(llm, [HumanMessage(prompt)])
        resp = svc.ask(prompt, options=options)
        rows.append(
            {
                "prompt": prompt,
                "raw_invented": h.over_inferred(reply.text, question=prompt),
                "raw_asked": h.asks_question(reply.text, echo=prompt) or h.says_missing(reply.text),
                "raw_ms": reply.ms,
                "guarded_status": resp.status,
                "guarded_llm_calls": resp.llm_calls,
                "guarded_ms": resp.latency_ms,
                "guarded_question": (resp.clarifying_questions or [""])[0],
                "raw_reply": reply.text[:400],
            }
        )
    k = len(rows)
    summary = {
        "prompts": k,
        "raw_invented_rate": round(sum(r["raw_invented"] for r in rows) / k, 3),
        "raw_asked_rate": round(sum(r["raw_asked"] for r in rows) / k, 3),
        "raw_llm_calls": k,
        "guarded_clarify_rate": round(sum(r["guarded_status"] == "clarify" for r in rows) / k, 3),
        "guarded_llm_calls": sum(r["guarded_llm_calls"] for r in rows),
        "raw_mean_ms": round(sum(r["raw_ms"] for r in rows) / k, 1),
        "guarded_mean_ms": round(sum(r["guarded_ms"] for r in rows) / k, 1),
    }
    notes = tuple(note(NOTES, k) for k in NOTES)
    report = ExperimentReport(
        name="overinference",
        title=TITLE,
        backend=ref.kind,
        model=ref.model,
        params={"n": k},
        summary=summary,
        rows=rows,
        notes=notes,
    )
    return LabResult(report=report, png=figure_png(_chart(summary)))


def _chart(s: dict[str, Any]) -> Any:
    fig, ax = plt.subplots(figsize=(5.5, 3.0))
    raw_inv, raw_ack = s["raw_invented_rate"], 1 - s["raw_invented_rate"]
    g_cl = s["guarded_clarify_rate"]
    ax.barh(["raw", "guarded"], [raw_inv, 1 - g_cl], color="#d95f02", label="answered as if it knew (invented)")
    ax.barh(["raw", "guarded"], [raw_ack, g_cl], left=[raw_inv, 1 - g_cl], color="#2b7bba", label="asked / said info missing")
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of {s['prompts']} vague prompts · guarded LLM calls: {s['guarded_llm_calls']}")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
