"""`guarded-rag calibrate`: fit the relevance thresholds to the indexed corpus and write a policy TOML.

CLI layer: parse arguments, show progress on stderr, print the curve and where the policy went.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

from pydantic import TypeAdapter, ValidationError

from app import EmbedderMismatchError, GuardedRAG, Settings, line_safe
from app.cli.codes import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from app.cli.outputs import file_problem
from app.cli.terminal import say


def add_calibrate_command(sub: Any) -> None:
    cal = sub.add_parser(
        "calibrate",
        help="fit the relevance thresholds to the indexed corpus and write a policy TOML (GUARDED_RAG_POLICY)",
        description="Scores answerable probes made from the corpus's own sentences and bundled off-corpus general "
        "questions with the relevance guardrail, prints the curve, and writes the lowest thresholds that still "
        "refuse --target of the off-corpus probes (one per language) into a policy file.",
    )
    cal.add_argument("--collection", type=_collection, help="collection to calibrate (default: GUARDED_RAG_COLLECTION)")
    cal.add_argument("--out", type=Path, help="policy file to write (default: <home>/policy-<collection>.toml)")
    cal.add_argument("--probes", type=int, default=300, help="answerable probes, at most one per chunk (default 300)")
    cal.add_argument("--target", type=float, default=0.95, help="share of off-corpus probes to refuse (default 0.95)")
    cal.add_argument("--seed", type=int, default=0, help="which chunks and words make the probes")
    cal.add_argument("--json", action="store_true", help="print the result as JSON")
    cal.add_argument("--no-progress", action="store_true")


_COLLECTION: TypeAdapter[str] = TypeAdapter(Annotated[str, Settings.model_fields["collection"]])


def _collection(text: str) -> str:
    """argparse type: a collection name as Settings accepts it, checked by Settings' own rule, so a bad one is a
    usage error naming the rule (it was a pydantic validation dump and exit code 1)."""
    try:
        _COLLECTION.validate_python(text)
    except ValidationError:
        rule = Settings.model_fields["collection"].description or "a collection name"
        shown = text if len(text) <= 60 else text[:60] + "…"
        raise argparse.ArgumentTypeError(f"{shown!r} is not a collection name ({rule.rstrip('.')})") from None
    return text


def _fmt(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:5.1f}%"


def cmd_calibrate(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    from app.lab.calibration.run import CalibrationError, calibrate

    if not 0.5 <= args.target < 1.0:
        say("error: --target must be at least 0.5 and below 1\n")
        return EXIT_USAGE
    if args.probes < 10:
        say("error: --probes must be at least 10\n")
        return EXIT_USAGE
    if args.collection and args.collection != svc.settings.collection:
        svc = svc.derive(collection=args.collection)
    target = args.out or Path(svc.settings.home) / f"policy-{svc.settings.collection}.toml"
    problem = file_problem(target)
    if problem:
        say(f"error: cannot write the policy to {target}: {problem}\n")
        return EXIT_USAGE
    bars: list[Any] = []  # drawn at the first probe, so an error before it (an empty index) is not framed by a bar

    def progress(done: int, total: int) -> None:
        if args.no_progress:
            return
        if not bars:
            from tqdm import tqdm  # deferred: only a run draws a bar

            bars.append(tqdm(desc="calibrate", unit="probe", total=total, file=sys.stderr))
        bars[0].update(done - bars[0].n)

    def waiting(message: str) -> None:  # an ingest or rebuild holds the index: calibrate waits for its corpus
        say(f"{message} (calibrate needs the finished corpus)\n")
        sys.stderr.flush()

    try:
        result = calibrate(
            svc, out=target, probes=args.probes, target=args.target, seed=args.seed, progress=progress, on_wait=waiting
        )
    except (CalibrationError, EmbedderMismatchError) as exc:  # their messages name the fix
        say(f"error: {exc}\n")
        return EXIT_FAIL
    finally:
        for bar in bars:
            bar.close()
    if not svc.policy.is_enabled("relevance"):
        # Written all the same (the user may enable it next), but said: the run looked like it had tuned the app.
        say(
            f"warning: the relevance guardrail is disabled in the policy calibrate started from: the thresholds in "
            f"{result.policy_path} take effect only once you set enabled = true under [guardrails.relevance] there\n"
        )
    if args.json:
        out.write(line_safe(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2)) + "\n")
        return EXIT_OK
    out.write(f"calibrated relevance for collection {result.collection!r} ({result.chunks} chunks)\n")
    for c in result.choices:
        out.write(
            f"\n{c.lang}: {c.answerable} answerable probes (from the corpus), {c.off_corpus} off-corpus probes (bundled)\n"
            "  threshold  answerable refused  off-corpus answered   (rows where both are <= 30%)\n"
        )
        for p in c.curve:
            chosen = p.threshold == c.threshold
            # The region where the trade-off happens: both error rates at most 30% (and the chosen row).
            if not chosen and ((p.answerable_refused or 0) > 0.3 or (p.off_corpus_answered or 0) > 0.3):
                continue
            mark = "  <- chosen" if chosen else ""
            out.write(f"  {p.threshold:9.3f}  {_fmt(p.answerable_refused):>18}  {_fmt(p.off_corpus_answered):>19}{mark}\n")
    out.write("\n")
    for c in result.choices:
        out.write(
            f"chosen {c.lang}: {c.threshold:.3f} (off-corpus probes refused {_fmt(c.off_corpus_refused).strip()}, "
            f"answerable probes refused {_fmt(c.answerable_refused).strip()})"
            + (
                f", the starting policy's, kept: too few answerable probes (the rule alone: {c.rule_threshold:.3f})"
                if c.rule_threshold is not None
                else ""
            )
            + "\n"
        )
    for note in result.notes:
        say(f"note: {note}\n")
    if result.skipped:
        say(f"note: {result.skipped} probes skipped (their relevance check errored)\n")
    out.write(f"wrote {result.policy_path}\nuse it: GUARDED_RAG_POLICY={result.policy_path}\n")
    return EXIT_OK
