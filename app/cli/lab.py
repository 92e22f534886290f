"""CLI commands for evaluation and experiments (`eval`, `lab`), kept apart from the core commands.

A thin layer over app.lab.evaluation and app.lab: parse arguments, pick the service, print a summary (or the
JSON report with --json); progress bars go to stderr so stdout stays machine-readable.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO, cast

from app import GuardedRAG, line_safe
from app.cli.codes import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from app.cli.outputs import folder_problem
from app.cli.terminal import say
from app.lab.evaluation.dataset_file import DatasetError
from app.lab.evaluation.datasets import (
    BUNDLED_SETS,
    INJECTION_SETS,
    SHARED_SETS,
    TEAM_SETS,
    check_dataset_name,
    default_shared,
)
from app.lab.evaluation.records import MODES, Mode
from app.lab.evaluation.runner import OutFolderError, ResumeMismatch, out_problem

EXPERIMENT_NAMES = ("latency", "nondeterminism", "overinference")


def add_lab_commands(sub: Any) -> None:
    ev = sub.add_parser(
        "eval",
        help="score datasets through the guarded chain and the raw model, side by side",
        description="DATASET: a .jsonl path or one of " + ", ".join(TEAM_SETS + tuple(BUNDLED_SETS) + SHARED_SETS) + ". "
        "Records are appended to OUT/records.jsonl as the run goes; rerun the same command to resume.",
    )
    ev.add_argument("datasets", nargs="+", metavar="DATASET")
    ev.add_argument("--backend", choices=["auto", "ollama", "embedded"])
    ev.add_argument("--limit", type=int, help="first N questions of each dataset (after --split)")
    ev.add_argument(
        "--split",
        choices=["all", "tune", "report"],
        default="all",
        help="hash split of item ids (tune on one, report on the other)",
    )
    ev.add_argument("--modes", default=",".join(MODES), help="comma-separated: guarded,raw (default both)")
    ev.add_argument("--shared", type=Path, default=default_shared(), help="third-party eval data (default: ../shared/eval-data)")
    ev.add_argument("--out", type=Path, help="output folder (default: <home>/eval/<datasets>)")
    ev.add_argument("--fresh", action="store_true", help="discard records in --out instead of resuming")
    ev.add_argument(
        "--input-only",
        action="store_true",
        help="score vague/clear items at the input stage only (clarify P/R/F1 without model calls; guarded column only)",
    )
    ev.add_argument(
        "--retrieval-only",
        action="store_true",
        help="score answerable/unanswerable items after the retrieval guardrails only (refusals, recall@k; no model calls)",
    )
    ev.add_argument(
        "--against", metavar="COLLECTION", help="run every set against this collection (e.g. cmrc2018-dev) instead of its own"
    )
    ev.add_argument(
        "--as-unanswerable",
        action="store_true",
        help="relabel every item unanswerable (with --against: questions about another corpus, e.g. cmrc2018-trial)",
    )
    ev.add_argument("--no-progress", action="store_true")
    ev.add_argument("--json", action="store_true", help="print the JSON report instead of the Markdown one")

    lab = sub.add_parser("lab", help="experiments: latency variance, non-determinism, over-inference")
    lab.add_argument("experiment", choices=EXPERIMENT_NAMES)
    lab.add_argument("--n", type=int, help="calls (latency, nondeterminism) or prompts (overinference)")
    lab.add_argument("--backend", choices=["auto", "ollama", "embedded"])
    lab.add_argument("--out", type=Path, help="output folder (default: <home>/lab/<experiment>)")
    lab.add_argument("--json", action="store_true")


def _service(svc: GuardedRAG, backend: str | None) -> GuardedRAG:
    return svc.derive(backend=backend) if backend and backend != svc.settings.backend else svc


def _log(message: str) -> None:
    say(message + "\n")


def cmd_eval(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    from app.cli.progress import tqdm_progress
    from app.lab.evaluation.suite import evaluate

    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    if not modes or any(m not in MODES for m in modes):
        say(f"error: --modes takes a comma-separated subset of {','.join(MODES)}\n")
        return EXIT_USAGE
    if args.limit is not None and args.limit < 1:
        say("error: --limit must be at least 1\n")
        return EXIT_USAGE
    try:
        for name in args.datasets:  # before the backend is chosen or the docs are ingested
            check_dataset_name(name)
    except DatasetError as exc:
        say(f"error: {exc}\n")
        return EXIT_USAGE
    if args.against is not None and not args.against.startswith("cmrc2018-"):
        try:  # before --out is named after it: "a/b" made a folder a/ and then failed with a ValidationError
            svc.settings.with_overrides(collection=args.against)
        except ValueError:
            say(f"error: --against {args.against!r} is not a collection name (3-512 of a-z A-Z 0-9 . _ -)\n")
            return EXIT_USAGE
    if args.retrieval_only or args.input_only:
        modes = ("guarded",)  # the raw column is a model call by definition; these flags promise none
    svc = _service(svc, args.backend)
    folder = "+".join(Path(n).stem for n in args.datasets) + (f"@{args.against}" if args.against else "")
    folder += ".retrieval" if args.retrieval_only else ""
    folder += ".off" if args.as_unanswerable else ""
    target = args.out or Path(svc.settings.home) / "eval" / folder
    problem = folder_problem(target)
    if problem:
        say(f"error: cannot write results to {target}: {problem}\n")
        return EXIT_USAGE
    foreign = out_problem(target)  # before the ingest and the run: their minutes are not spent on a refusal
    if foreign:
        say(f"error: {target} is left as it is: {foreign}; name a new or empty folder (or an earlier run's)\n")
        return EXIT_USAGE
    needs_docs = args.against is None and any(not n.startswith("cmrc2018-") and n not in INJECTION_SETS for n in args.datasets)
    if needs_docs and svc.is_index_empty():
        say(f"the index is empty: ingesting {svc.settings.docs_dir} first\n")
        try:
            svc.ingest(progress=tqdm_progress())
        except KeyboardInterrupt:  # the next eval finds the index not empty and would run on part of the corpus
            say(
                "\ninterrupted: the index holds only the files read before it; run `guarded-rag ingest` to finish, "
                "then the same eval command (nothing was evaluated)\n"
            )
            return EXIT_INTERRUPTED
    try:
        outcome = evaluate(
            svc,
            args.datasets,
            out=target,
            shared=args.shared,
            limit=args.limit,
            split=args.split,
            modes=cast(tuple[Mode, ...], modes),
            fresh=args.fresh,
            progress=not args.no_progress,
            input_only=args.input_only,
            retrieval_only=args.retrieval_only,
            against=args.against,
            as_unanswerable=args.as_unanswerable,
            log=_log,
            ingest_progress=None if args.no_progress else tqdm_progress("ingest cmrc"),
        )
    except (DatasetError, ResumeMismatch, OutFolderError) as exc:
        say(f"error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:  # the same command with --fresh would throw these records away again
        again = "the same command without --fresh" if args.fresh else "the same command"
        say(f"interrupted: records so far are in {target / 'records.jsonl'}; run {again} again to resume\n")
        return EXIT_INTERRUPTED  # said once: re-raised, main() printed a second, bare "interrupted"
    if args.json:
        out.write(line_safe(outcome.report.model_dump_json(indent=2)) + "\n")
    else:
        out.write((target / "report.md").read_text(encoding="utf-8"))
        out.write("\nfiles: " + ", ".join(str(p) for p in outcome.files) + "\n")
    if not outcome.records:  # every set skipped (third-party data absent), or the sets were empty
        say("nothing was evaluated" + (": skipped " + "; ".join(outcome.report.skipped) if outcome.report.skipped else "") + "\n")
        return EXIT_FAIL
    return EXIT_OK


def cmd_lab(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    from app.lab.experiments import run_experiment
    from app.lab.experiments.common import out_problem as experiment_out_problem
    from app.lab.experiments.common import report_json, to_markdown

    if args.n is not None and args.n < 1:
        say("error: --n must be at least 1\n")
        return EXIT_USAGE
    svc = _service(svc, args.backend)
    target = args.out or Path(svc.settings.home) / "lab" / args.experiment
    problem = folder_problem(target) or experiment_out_problem(target)
    if problem:
        say(f"error: cannot write results to {target}: {problem}\n")
        return EXIT_USAGE
    result = run_experiment(svc, args.experiment, n=args.n, out=target)
    if args.json:
        out.write(line_safe(json.dumps(report_json(result.report), ensure_ascii=False, indent=2)) + "\n")
    else:
        out.write(to_markdown(result.report, max_rows=10))
        out.write("\nfiles: " + ", ".join(str(p) for p in result.files) + "\n")
    return EXIT_OK


def run_lab_command(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    handlers = {"eval": cmd_eval, "lab": cmd_lab}
    if args.command not in handlers:
        say(f"error: unknown command {args.command!r}\n")
        return EXIT_USAGE
    return handlers[args.command](svc, args, out)
