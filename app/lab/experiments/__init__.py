"""The experiments lab: latency variance, non-determinism and over-inference, raw model vs guarded chain.
App layer; the CLI `lab` command and the Experiments page call `run_experiment`."""

from __future__ import annotations

from pathlib import Path

from app import AskOptions, GuardedRAG
from app.lab.experiments.common import ExperimentName, ExperimentReport, LabResult, Note, write
from app.lab.experiments.latency import run_latency
from app.lab.experiments.nondeterminism import run_nondeterminism
from app.lab.experiments.overinference import run_overinference

EXPERIMENTS: tuple[ExperimentName, ...] = ("latency", "nondeterminism", "overinference")
DEFAULT_N = {"latency": 20, "nondeterminism": 10, "overinference": 6}


def run_experiment(
    svc: GuardedRAG, name: str, *, n: int | None = None, out: Path | None = None, options: AskOptions | None = None
) -> LabResult:
    """Run one experiment; with `out`, also write report.json, report.md and <name>.png there. `options`: a session's
    AskOptions (the Experiments page): the model, sampling, deadlines and policy it runs with (svc.effective; a
    ValueError when they do not validate); None (the CLI): the service's own."""
    runners = {"latency": run_latency, "nondeterminism": run_nondeterminism, "overinference": run_overinference}
    if name not in runners:
        raise ValueError(f"unknown experiment {name!r}: choose one of {', '.join(EXPERIMENTS)}")
    result = runners[name](svc, n=n or DEFAULT_N[name], options=options)
    if out is None:
        return result
    return LabResult(report=result.report, png=result.png, files=write(result.report, result.png, out))


__all__ = ["DEFAULT_N", "EXPERIMENTS", "ExperimentReport", "LabResult", "Note", "run_experiment"]
