"""Shared parts of the lab experiments: the report record, how an experiment reaches the service's model,
and writing report.json / report.md / <name>.png.

App layer (experiments lab), under the CLI `lab` command and the Experiments page.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display on servers, CI or Streamlit workers
import matplotlib.pyplot as plt
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field

from app import GuardedRAG, Settings
from app.lab.outfolder import foreign_folder

ExperimentName = Literal["latency", "nondeterminism", "overinference"]
NoteValue = str | int | float | None


class Note(BaseModel):
    """One note of a report: its English text (report.md, the CLI) and the key and values it was made from, so a
    page can show it in another language (views/i18n.py: lab.note.<key>, the same placeholders)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    values: dict[str, NoteValue] = Field(default_factory=dict)
    text: str


def note(templates: Mapping[str, str], key: str, **values: NoteValue) -> Note:
    """The note `key` of an experiment's English `templates`, filled with `values`."""
    return Note(key=key, values=values, text=templates[key].format(**values))


class ExperimentReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ExperimentName
    title: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    backend: str
    model: str
    params: dict[str, Any] = Field(default_factory=dict)
    summary: dict[str, Any] = Field(default_factory=dict)
    rows: list[dict[str, Any]] = Field(default_factory=list, description="One row per model call or prompt.")
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class LabResult:
    report: ExperimentReport
    png: bytes
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Call:
    text: str
    ms: float
    load_ms: float | None = None
    tokens: int | None = None


def lab_model(svc: GuardedRAG, settings: Settings, *, format: dict[str, Any] | str | None = None) -> BaseChatModel:
    """The answering model of `settings` (a session's, from svc.effective) for an experiment, with the load timeout
    rather than the per-request one: a cold call loads the model and must not be cut short."""
    return svc.chat_model(format=format, timeout=settings.load_timeout, settings=settings)


def call(llm: BaseChatModel, messages: Sequence[BaseMessage]) -> Call:
    started = time.perf_counter()
    message = llm.invoke(list(messages))
    ms = (time.perf_counter() - started) * 1000
    meta = getattr(message, "response_metadata", None) or {}
    load = meta.get("load_duration")
    tokens = meta.get("eval_count")
    content = message.content if isinstance(message.content, str) else str(message.content)
    return Call(
        text=content,
        ms=round(ms, 1),
        load_ms=round(load / 1e6, 1) if isinstance(load, int | float) else None,
        tokens=tokens if isinstance(tokens, int) else None,
    )


def figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)  # pyplot keeps figures alive until closed
    return buf.getvalue()


# What makes markup of text in a Markdown table cell: a link or image ([...](...), fetched when report.md is
# viewed), HTML and autolinks (<...>), emphasis and code, the column bar. A cell holds the model's reply or a
# prompt: shown as written, each of these made literal with a backslash (CommonMark).
_MARKUP = re.compile(r"([\\`*_\[\]<>|~])")


def _cell(value: Any) -> str:
    if isinstance(value, float):  # 3 significant digits, but never scientific notation for milliseconds
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    text = " ".join(str(value).split())  # one table row: no newline, carriage return or tab breaks it
    cut = len(text) > 80
    return _MARKUP.sub(r"\\\1", text[:77] if cut else text) + ("..." if cut else "")


def to_markdown(report: ExperimentReport, *, max_rows: int = 40) -> str:
    lines = [
        f"# {report.title}",
        "",
        f"{report.created_at:%Y-%m-%d %H:%M} UTC · backend {report.backend} · model {report.model} · "
        + ", ".join(f"{k}={v}" for k, v in report.params.items()),
        "",
        "| measure | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {_cell(v)} |" for k, v in report.summary.items()]
    lines += ["", f"![chart]({report.name}.png)"]
    if report.notes:
        lines += ["", *[f"- {n.text}" for n in report.notes]]
    if report.rows:
        cols = list(report.rows[0])
        lines += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(_cell(r.get(c, "")) for c in cols) + " |" for r in report.rows[:max_rows]]
        if len(report.rows) > max_rows:
            lines.append(f"\n({len(report.rows) - max_rows} more rows in report.json)")
    return "\n".join(lines) + "\n"


def report_json(report: ExperimentReport) -> dict[str, Any]:
    """report.json's content (and `lab --json`'s): `notes` stay the English sentences they always were, for tools
    that read them; `note_keys` adds each note's key and values (what a page translates)."""
    data = report.model_dump(mode="json")
    data["notes"] = [n.text for n in report.notes]
    data["note_keys"] = [{"key": n.key, "values": n.values} for n in report.notes]
    return data


def out_problem(out: Path) -> str | None:
    """Why an experiment must not write its report.json, report.md and <name>.png into `out`, or None: it is
    missing, empty, or an earlier experiment's folder (its report.json names an experiment). `lab --out ~/notes`
    replaced a user's own files of those names (the h77 hunt; `eval --out` refuses alike)."""
    return foreign_folder(out, marker="report.json", ours=_is_experiment_report, what="an experiment")


def _is_experiment_report(data: bytes) -> bool:
    try:
        earlier = json.loads(data)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
        return False
    return isinstance(earlier, dict) and earlier.get("name") in get_args(ExperimentName)


def write(report: ExperimentReport, png: bytes, out: Path) -> tuple[Path, ...]:
    problem = out_problem(out)
    if problem:
        raise FileExistsError(f"{out} is left as it is: {problem}; name a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / "report.json", out / "report.md", out / f"{report.name}.png")
    paths[0].write_text(json.dumps(report_json(report), ensure_ascii=False, indent=2), encoding="utf-8")
    paths[1].write_text(to_markdown(report), encoding="utf-8")
    paths[2].write_bytes(png)
    return paths
