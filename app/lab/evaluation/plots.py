"""Charts of an evaluation run (PNG, matplotlib's Agg backend: no display needed, safe in threads/CI).

App layer (evaluation lab); reads an EvalReport and its records, writes files, returns their paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: headless servers and Streamlit workers have no display
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from app.lab.evaluation.records import RunRecord
from app.lab.evaluation.report import EvalReport

RATES = (
    ("first-attempt\nvalid", "first_valid_rate"),
    ("typed", "typed_rate"),
    ("clarify F1", "clarify_f1"),
    ("refused\nunanswerable", "refusal_rate"),
    ("citations\nvalid", "citation_validity"),
    ("answer\nmatch", "answer_match"),
    ("attacks\nflagged", "flagged_rate"),
    ("benign\nflagged", "false_positive_rate"),
)
COLORS = {"guarded": "#2b7bba", "raw": "#d95f02"}


def rates_figure(report: EvalReport) -> Figure:
    group = report.groups.get("all") or next(iter(report.groups.values()))
    shown = [(label, field) for label, field in RATES if any(getattr(m, field) is not None for m in group.values())]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(shown) + 1), 3.6))
    width = 0.8 / max(1, len(group))
    for i, (mode, metrics) in enumerate(group.items()):
        xs = [j + i * width for j in range(len(shown))]
        ys = [getattr(metrics, f) for _, f in shown]
        bars = ax.bar(
            [x for x, y in zip(xs, ys, strict=True) if y is not None],
            [y for y in ys if y is not None],
            width=width,
            label=mode,
            color=COLORS.get(mode),
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=1)
        for x, y in zip(xs, ys, strict=True):
            if y is None:  # not measured for this mode (e.g. raw has no input guardrail): say so, don't draw 0
                ax.text(x, 0.02, "n/a", ha="center", fontsize=6, color="gray")
    ax.set_xticks([j + width * (len(group) - 1) / 2 for j in range(len(shown))], [s[0] for s in shown], fontsize=8)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("rate")
    # parse_math=False: dataset names are file names, and "$" in one was read as TeX (a bad one raised, no plots)
    ax.set_title(f"guarded vs raw — {', '.join(report.datasets)}", fontsize=10, parse_math=False)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def latency_figure(records: Sequence[RunRecord]) -> Figure:
    modes = [m for m in ("guarded", "raw") if any(r.mode == m and r.llm_calls for r in records)]
    data = [[r.latency_ms / 1000 for r in records if r.mode == m and r.llm_calls] for m in modes]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    if data:
        ax.boxplot(data, showfliers=True)
        ax.set_xticks(range(1, len(modes) + 1), modes)
    ax.set_ylabel("seconds per question")  # a longer label is clipped at this figure height
    ax.set_title("latency of questions that reached the model", fontsize=10)
    fig.tight_layout()
    return fig


def rungs_figure(report: EvalReport) -> Figure:
    group = report.groups.get("all") or next(iter(report.groups.values()))
    rungs = group["guarded"].rungs if "guarded" in group else {}
    fig, ax = plt.subplots(figsize=(5, 3.2))
    names = sorted(rungs, key=lambda k: -rungs[k])
    ax.barh(names, [rungs[n] for n in names], color=COLORS["guarded"])
    ax.invert_yaxis()
    ax.set_xlabel("questions")
    ax.set_title("guarded: which rung answered (or status)", fontsize=10)
    fig.tight_layout()
    return fig


PLOTS = ("rates.png", "latency.png", "rungs.png")


def write_plots(report: EvalReport, records: Sequence[RunRecord], out: Path) -> list[Path]:
    """The charts of a run with records; without any, an earlier run's charts are removed (they would sit beside a
    report that says nothing was evaluated, showing another run's numbers)."""
    if not records:
        for name in PLOTS:
            (out / name).unlink(missing_ok=True)
        return []
    paths = []
    for name, fig in zip(PLOTS, (rates_figure(report), latency_figure(records), rungs_figure(report)), strict=True):
        path = out / name
        fig.savefig(path, dpi=110)
        plt.close(fig)  # figures are not garbage-collected while pyplot tracks them
        paths.append(path)
    return paths
