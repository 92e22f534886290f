"""Non-determinism: the same "give me a JSON object with name and age" prompt N times, raw (no `format`)
vs guarded (the same prompt with a JSON-schema `format` and a parse ladder): distinct outputs, parse
failures, field-order changes, prose around the JSON.

App layer (experiments lab). Sampling uses the configured temperature (Settings.temperature), the session's when
the Experiments page passes its options.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import json_repair
import matplotlib.pyplot as plt
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app import AskOptions, GuardedRAG
from app.lab.experiments.common import ExperimentReport, LabResult, call, figure_png, lab_model, note

PROMPT = "Give me a JSON object with name and age."
TITLE = "Non-determinism: one JSON prompt, N times"
NOTES = {
    "nondeterminism.parse_failure": "parse failure: raw = the reply is not exactly one JSON object (json.loads); "
    "guarded = the parse ladder (strict, first object, json-repair) found no object with name and age",
    "nondeterminism.field_order": "field-order change: the object's keys come in another order than the most common one",
    "nondeterminism.prose": "prose around: non-whitespace text outside the JSON object (code fences not counted as prose)",
    "nondeterminism.sampling": "temperature {temperature} (Settings.temperature), seed {seed}",
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 40},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
    },
    "required": ["name", "age"],
    "additionalProperties": False,
}
MEASURES = ("distinct_outputs", "parse_failures", "field_order_changes", "prose_around")


class Person(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    age: int = Field(ge=0, le=150)


def first_object(text: str) -> tuple[dict[str, Any], int, int] | None:
    """The first decodable JSON object in text, with its span (raw newlines inside strings allowed)."""
    decoder = json.JSONDecoder(strict=False)
    start = text.find("{")
    while start != -1:
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(obj, dict):
            return obj, start, end
        start = text.find("{", start + 1)
    return None


def ladder(text: str) -> tuple[Person | None, str | None]:
    """strict -> lenient (first object) -> repair (json-repair), like the answer parse ladder."""
    attempts = (
        ("strict", lambda: json.loads(text.strip())),
        ("lenient", lambda: (first_object(text) or (None,))[0]),
        ("repair", lambda: json_repair.loads(text[text.find("{") :]) if "{" in text else None),
    )
    for rung, load in attempts:
        try:
            data = load()
            if isinstance(data, dict):
                return Person.model_validate(data), rung
        except (ValueError, ValidationError, TypeError, RecursionError):
            continue
    return None, None


def inspect(text: str, mode: str, i: int) -> dict[str, Any]:
    person, rung = ladder(text)
    found = first_object(text)
    outside = (text[: found[1]] + text[found[2] :]) if found else ""
    fenced = "```" in outside
    strict_ok = rung == "strict"
    return {
        "mode": mode,
        "i": i,
        "strict_ok": strict_ok,
        "parsed": person is not None,
        "rung": rung,
        "keys": ",".join(found[0]) if found else None,
        "prose": bool(outside.replace("```json", "").replace("```", "").strip()),
        "fenced": fenced,
        "value": json.dumps(person.model_dump(), sort_keys=True, ensure_ascii=False) if person else None,
        "failed": not (strict_ok if mode == "raw" else person is not None),
        "text": text,
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    orders = Counter(r["keys"] for r in rows if r["keys"])
    modal = orders.most_common(1)[0][0] if orders else None
    return {
        "n": len(rows),
        "distinct_outputs": len({r["text"] for r in rows}),
        "distinct_values": len({r["value"] for r in rows if r["value"]}),
        "parse_failures": sum(r["failed"] for r in rows),
        "strict_failures": sum(not r["strict_ok"] for r in rows),
        "field_order_changes": sum(1 for r in rows if r["keys"] and r["keys"] != modal),
        "key_orders": len(orders),
        "prose_around": sum(r["prose"] for r in rows),
        "fenced": sum(r["fenced"] for r in rows),
    }


def run_nondeterminism(svc: GuardedRAG, *, n: int = 10, options: AskOptions | None = None) -> LabResult:
    settings, _ = svc.effective(options)
    ref = svc.answering_model(settings)
    messages = [HumanMessage(PROMPT)]
    rows: list[dict[str, Any]] = []
    for mode, fmt in (("raw", None), ("guarded", SCHEMA)):
        llm = lab_model(svc, settings, format=fmt)
        rows += [inspect(call(llm, messages).text, mode, i) for i in range(n)]
    per_mode = {m: summarize([r for r in rows if r["mode"] == m]) for m in ("raw", "guarded")}
    summary = {f"{m}_{k}": v for m, s in per_mode.items() for k, v in s.items()}
    notes = (
        note(NOTES, "nondeterminism.parse_failure"),
        note(NOTES, "nondeterminism.field_order"),
        note(NOTES, "nondeterminism.prose"),
        note(NOTES, "nondeterminism.sampling", temperature=settings.temperature, seed=settings.seed),
    )
    report = ExperimentReport(
        name="nondeterminism",
        title=TITLE,
        backend=ref.kind,
        model=ref.model,
        params={"n": n, "prompt": PROMPT, "temperature": settings.temperature},
        summary=summary,
        rows=rows,
        notes=notes,
    )
    return LabResult(report=report, png=figure_png(_chart(per_mode)))


def _chart(per_mode: dict[str, dict[str, Any]]) -> Any:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    width = 0.38
    for j, (mode, color) in enumerate((("raw", "#d95f02"), ("guarded", "#2b7bba"))):
        ax.bar(
            [i + j * width for i in range(len(MEASURES))],
            [per_mode[mode][m] for m in MEASURES],
            width=width,
            label=mode,
            color=color,
        )
    ax.set_xticks([i + width / 2 for i in range(len(MEASURES))], [m.replace("_", "\n") for m in MEASURES], fontsize=8)
    ax.set_ylabel(f"out of {per_mode['raw']['n']} calls")
    ax.set_title("same prompt, N calls", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
