"""CLI commands of the policy lab: `policy replay` (stored traces under another policy), `policy sweep` (one
parameter over a range on labelled decisions, a suggested value, a tuned policy TOML), `policy quality`
(labelled precision/recall and the false-block list), and `traces label` (judge one decision).

A thin layer over app/lab/policy through the app's public API; user errors are one line and exit code 2.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from app import (
    OUTCOME,
    GuardedRAG,
    PolicyError,
    ReplayReport,
    TraceFilter,
    cases_from_traces,
    current_value,
    false_blocks,
    load_policy,
    make_label,
    parse_range,
    parse_target,
    policy_toml,
    quality,
    replaceable_policy,
    replay_traces,
    sweep,
    write_policy,
)
from app.cli.choices import STATUSES, positive_int
from app.cli.codes import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from app.cli.lookup import find_trace
from app.cli.outputs import file_problem
from app.cli.terminal import one_line as shown_in_line  # this module's one_line is for error messages
from app.cli.terminal import say
from app.lab.policy import numeric_kind

LISTING_MAX = 100_000  # TraceFilter's bound on one listing (its `limit`)


def add_policy_commands(sub: Any) -> None:
    pol = sub.add_parser("policy", help="the policy lab: replay traces under another policy, sweep a threshold, labelled quality")
    act = pol.add_subparsers(dest="policy_command", required=True)
    rep = act.add_parser("replay", help="recompute stored traces' guardrail decisions under another policy (no model call)")
    rep.add_argument("--policy", type=Path, required=True, help="the other policy (TOML, like guardrails/default_policy.toml)")
    _selection(rep, last=1000)
    rep.add_argument("--json", action="store_true", help="one JSON object: replayed, flipped, outcome_changes, needs_model, ...")
    swp = act.add_parser("sweep", help="replay labelled decisions across a parameter range and suggest a value")
    swp.add_argument("param", metavar="GUARDRAIL.PARAM", help="e.g. relevance.min_hybrid")
    swp.add_argument("--range", required=True, dest="values", metavar="START:STOP:STEP", help="e.g. 0.2:0.5:0.05")
    swp.add_argument("--target", help="what the suggestion must meet, e.g. 'false_block<=0.03' or 'recall>=0.9'")
    swp.add_argument("--policy", type=Path, help="the policy to start from (default: the one the app runs with)")
    swp.add_argument("--out", type=Path, help="write the policy with the suggested value to this TOML file")
    _selection(swp, last=100_000)
    swp.add_argument("--json", action="store_true")
    qual = act.add_parser("quality", help="per guardrail: labelled precision/recall, and the benign requests it blocked")
    qual.add_argument("--json", action="store_true")


def _selection(p: argparse.ArgumentParser, *, last: int) -> None:
    p.add_argument(
        "--last", type=listing_count, default=last, help=f"the N newest traces, at most {LISTING_MAX:,} (default: %(default)s)"
    )
    p.add_argument("--status", choices=STATUSES, help="only traces with this outcome")
    p.add_argument("--since", type=_iso_time, help="only traces from this date (YYYY-MM-DD or an ISO time) on")


def listing_count(text: str) -> int:
    """argparse type for --last (here and in `traces`): a whole number from 1 to LISTING_MAX. A larger one was
    pydantic's validation dump (policy) or cut to the bound without a word (traces list)."""
    value = positive_int(text)
    if value > LISTING_MAX:
        raise argparse.ArgumentTypeError(f"{value} is more than {LISTING_MAX:,}, the most traces one listing reads")
    return value


def _iso_time(text: str) -> datetime:
    """--since as argparse reads it: a bad value is a usage error naming the option (it was "error: Invalid
    isoformat string" after the traces were opened). A date or naive time means local time; stored times are UTC."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or time: write YYYY-MM-DD or an ISO time such as 2026-12-03T18:00"
        ) from None
    try:
        return when.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise argparse.ArgumentTypeError(f"{text!r} is out of range once converted to UTC (years 1 to 9999)") from None


def _filter(args: argparse.Namespace, **extra: Any) -> TraceFilter:
    return TraceFilter(status=args.status, since=args.since, limit=args.last, **extra)


def run_policy_command(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    try:
        if args.policy_command == "replay":
            return _replay(svc, args, out)
        if args.policy_command == "sweep":
            return _sweep(svc, args, out)
        return _quality(svc, args, out)
    except (PolicyError, ValueError) as exc:
        say(f"error: {one_line(exc)}\n")
        return EXIT_USAGE


def one_line(exc: Exception) -> str:
    """A policy error (pydantic's text spans lines and ends with a link) as one line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip() and "errors.pydantic.dev" not in line]
    return " ".join(lines)


def _replay(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    policy = load_policy(args.policy)
    report = replay_traces(svc.traces.list(_filter(args), full=True), policy)
    if args.json:
        out.write(report.model_dump_json() + "\n")
        return EXIT_OK
    _print_replay(report, str(args.policy), out)
    return EXIT_OK


def _print_replay(report: ReplayReport, name: str, out: TextIO) -> None:
    out.write(f"replayed {report.replayed} trace(s) under {name} in {report.seconds:.2f} s; ")
    out.write(f"{len(report.not_replayable)} not replayable\n")
    why = Counter(s.reason for s in report.not_replayable)
    for reason, n in why.most_common():
        out.write(f"  not replayable ({n}): {reason}\n")
    out.write("fire rate per guardrail (before -> after):\n")
    for r in report.fire_rates:
        mark = "" if r.fired_before == r.fired_after else "   *"
        out.write(f"  {r.guardrail:<20} {r.before:6.1%} -> {r.after:6.1%}{mark}\n")
    flips = Counter((f.guardrail, f.before, f.after) for f in report.flipped)
    out.write(f"flipped decisions: {len(report.flipped)}\n")
    for (guardrail, before, after), n in flips.most_common():
        ids = [f.trace_id[:12] for f in report.flipped if (f.guardrail, f.before, f.after) == (guardrail, before, after)]
        out.write(f"  {guardrail}: {before} -> {after}: {n}  ({', '.join(ids[:8])}{' …' if len(ids) > 8 else ''})\n")
    changes = [o for o in report.outcomes if o.kind == "changed"]
    out.write(f"outcomes that would change: {len(changes)}\n")
    for o in changes:
        out.write(f"  {o.trace_id[:12]} {o.before} -> {o.after}: {o.reason}\n")
    needs = [o for o in report.outcomes if o.kind == "needs_model"]
    out.write(f"needs the model (not decided without a new model reply): {len(needs)}\n")
    for o in needs:
        out.write(f"  {o.trace_id[:12]} {o.before} -> ?: {o.reason}\n")
    if report.incomplete:  # before: left out of the text, so they read as outcomes that would not change
        shown = ", ".join(t[:12] for t in report.incomplete[:8]) + (" …" if len(report.incomplete) > 8 else "")
        out.write(f"outcome unknown (the inputs of later stages were not kept): {len(report.incomplete)}  ({shown})\n")


def _sweep(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    guardrail, _, param = args.param.partition(".")
    if not guardrail or not param:
        raise ValueError(f"{args.param!r}: expected GUARDRAIL.PARAM, e.g. relevance.min_hybrid")
    base = load_policy(args.policy) if args.policy else svc.policy
    target = parse_target(args.target) if args.target else None
    if args.out and target is None:  # the file holds the suggested value, and only a target suggests one
        say('error: --out writes the policy a --target suggests; add --target, e.g. --target "false_block<=3%"\n')
        return EXIT_USAGE
    problem = file_problem(args.out) if args.out else None
    if args.out and not problem and not replaceable_policy(args.out):
        problem = "the file is there and is not a guardrail policy, so it is left as it is; name a new file"
    if problem:
        say(f"error: cannot write the policy to {args.out}: {problem}\n")
        return EXIT_USAGE
    current_value(base, guardrail, param)  # a mistyped name or range is reported before the traces are read
    values = parse_range(args.values, whole=numeric_kind(guardrail, param) is int)
    records = svc.traces.list(_filter(args, labelled=True), full=True)
    cases = cases_from_traces(records, guardrail)
    if not cases:
        # Labels outside the selection are not "none yet": `--since 2030-01-01` said "label some first".
        everywhere = svc.traces.list(TraceFilter(labelled=True, limit=LISTING_MAX), full=True)
        hint = (
            "the labelled ones are outside --status/--since/--last: widen them"
            if cases_from_traces(everywhere, guardrail)
            else "label some first (traces label)"
        )
        say(f"error: no labelled {guardrail} decision with stored inputs to sweep over; {hint}\n")
        return EXIT_FAIL
    report = sweep(cases, base, guardrail, param, values, target)
    if args.out and report.suggested is not None:
        tuned = base.with_overrides({guardrail: {param: report.suggested}})
        write_policy(args.out, policy_toml(tuned, note=f"{args.param} = {report.suggested:g}: {report.reason}"))
    if args.json:
        out.write(
            json.dumps(
                report.model_dump(mode="json") | {"written": str(args.out) if args.out and report.suggested is not None else None}
            )
            + "\n"
        )
        return EXIT_OK
    out.write(f"{args.param} on {report.cases} labelled decision(s); current value {report.current}\n")
    out.write(f"  {'value':>8} {'precision':>9} {'recall':>7} {'false-block':>11} {'miss':>6}\n")
    for p in report.points:
        q, mark = (
            p.quality,
            ("  <- current" if p.value == report.current else "") + ("  <- suggested" if p.value == report.suggested else ""),
        )
        out.write(
            f"  {p.value:>8g} {_pct(q.precision):>9} {_pct(q.recall):>7} {_pct(q.false_block_rate):>11} {_pct(q.miss_rate):>6}{mark}\n"
        )
    if target is not None:
        out.write(
            f"suggested: {report.suggested:g} ({report.reason})\n"
            if report.suggested is not None
            else f"no suggestion: {report.reason}\n"
        )
    if args.out and report.suggested is not None:
        out.write(f"wrote {args.out}: run the app with it: GUARDED_RAG_POLICY={args.out} make run\n")
    return EXIT_OK


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _quality(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    records = svc.traces.list(TraceFilter(labelled=True, limit=100_000), full=True)
    scores, blocked = quality(records), false_blocks(records)
    if args.json:
        out.write(
            json.dumps(
                {
                    "labelled_traces": len(records),
                    "quality": [q.model_dump() for q in scores],
                    "false_blocks": [b.model_dump(mode="json") for b in blocked],
                }
            )
            + "\n"
        )
        return EXIT_OK
    out.write(
        f"{len(records)} labelled trace(s)\n  {'guardrail':<20} {'n':>4} {'precision':>9} {'recall':>7} {'false-block':>11}\n"
    )
    for q in scores:
        out.write(
            f"  {q.guardrail:<20} {q.labelled:>4} {_pct(q.precision):>9} {_pct(q.recall):>7} {_pct(q.false_block_rate):>11}\n"
        )
    out.write(f"false blocks (benign requests a guardrail blocked), newest first: {len(blocked)}\n")
    for b in blocked:
        out.write(
            f"  {b.created_at:%Y-%m-%d %H:%M} {b.trace_id[:12]} {b.guardrail:<18} {shown_in_line(b.question[:70])}"
            + (f"  — {shown_in_line(b.note)}" if b.note else "")
            + "\n"
        )
    return EXIT_OK


def label_trace(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    """`traces label ID --guardrail NAME|--outcome --correct|--wrong [--attempt N] [--note TEXT]`."""
    if args.correct == args.wrong:
        say("error: traces label needs exactly one of --correct or --wrong\n")
        return EXIT_USAGE
    if bool(args.guardrail) == bool(args.outcome):
        say("error: traces label needs --guardrail NAME or --outcome\n")
        return EXIT_USAGE
    record = find_trace(svc, args.trace_id, "traces label")
    if isinstance(record, tuple):
        say(record[1])
        return record[0]
    try:
        label = make_label(record, args.guardrail or OUTCOME, correct=args.correct, attempt=args.attempt, note=args.note or "")
    except ValueError as exc:
        say(f"error: {exc}\n")
        return EXIT_USAGE
    svc.traces.label(record.trace_id, label)
    verdict = "right" if label.correct else "wrong"
    out.write(f"labelled {record.trace_id[:12]} {label.target} #{label.attempt} ({label.decision}) as {verdict}\n")
    return EXIT_OK
