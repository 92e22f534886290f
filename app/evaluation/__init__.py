"""The evaluation lab: golden and third-party sets run through the guarded chain and through the raw model,
scored side by side (app layer, under the CLI `eval` command and the quality gate)."""

from app.evaluation.datasets import DatasetError, resolve, select, split_of
from app.evaluation.metrics import ModeMetrics, confusion, mode_metrics, percentile
from app.evaluation.records import EvalItem, RunMeta, RunRecord
from app.evaluation.report import EvalReport, build_report, to_markdown
from app.evaluation.runner import ResumeMismatch, load_records, run_eval
from app.evaluation.suite import EvalOutcome, evaluate

__all__ = [
    "DatasetError", "EvalItem", "EvalOutcome", "EvalReport", "ModeMetrics", "ResumeMismatch", "RunMeta", "RunRecord",
    "build_report", "confusion", "evaluate", "load_records", "mode_metrics", "percentile", "resolve", "run_eval",
    "select", "split_of", "to_markdown",
]
