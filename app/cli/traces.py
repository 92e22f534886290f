"""`guarded-rag traces`: list, show, export, import and label stored traces.

CLI layer: parse arguments and print; the trace store (svc.traces) and the policy lab's labels do the work.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from app import GuardedRAG, TraceFilter, TraceStoreError, line_safe
from app.cli.choices import GUARDRAILS, STATUSES, positive_int
from app.cli.codes import EXIT_FAIL, EXIT_OK, EXIT_USAGE, path_exit_code
from app.cli.lookup import find_trace
from app.cli.policy import LISTING_MAX, label_trace, listing_count
from app.cli.terminal import event_line, one_line, say

LIST_DEFAULT = 20
EXPORT_MAX = LISTING_MAX  # an export is one listing


def add_traces_command(sub: Any) -> None:
    tr = sub.add_parser("traces", help="browse, export, import and label stored traces")
    tr.add_argument("action", nargs="?", choices=["list", "show", "export", "import", "label"], default="list")
    tr.add_argument("trace_id", nargs="?", help="show, label: the trace's id (as `list` prints it, or in full)")
    tr.add_argument(
        "--last",
        type=listing_count,
        help=f"list, export: the N newest traces, at most {EXPORT_MAX:,} (default: {LIST_DEFAULT} for list, all for export)",
    )
    tr.add_argument("--status", choices=STATUSES, help="list, export: only traces with this outcome")
    tr.add_argument(
        "--guardrail", choices=GUARDRAILS, help="list, export: only traces where it fired; label: the guardrail decision to label"
    )
    tr.add_argument("--jsonl", type=Path, help="export target / import source file")
    tr.add_argument("--json", action="store_true", help="list, show: JSON (one record per line for list)")
    tr.add_argument("--outcome", action="store_true", help="label: the request's outcome rather than one guardrail")
    tr.add_argument("--correct", action="store_true", help="label: the decision was right")
    tr.add_argument("--wrong", action="store_true", help="label: the decision was wrong")
    tr.add_argument("--attempt", type=positive_int, default=1, help="label: the nth time the guardrail ran (output: nth answer)")
    tr.add_argument("--note", help="label: why")


def cmd_traces(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "label":
        return label_trace(svc, args, out)
    if args.action in ("import", "export") and str(args.jsonl) == "-":
        say(f"error: traces {args.action} reads and writes files, not stdin or stdout: name a file after --jsonl\n")
        return EXIT_USAGE
    if args.action == "import":
        if not args.jsonl:
            say("error: traces import needs --jsonl FILE\n")
            return EXIT_USAGE
        try:
            done = svc.traces.import_jsonl(args.jsonl)
        except OSError as exc:  # a missing or unreadable file is a usage error, as every command's bad path is
            say(f"error: cannot read {args.jsonl}: {exc.strerror or exc}\n")
            return path_exit_code(exc)
        except TraceStoreError as exc:
            say(f"error: {exc}\n")
            return EXIT_FAIL
        for repeated in done.notes:  # a line repeating an earlier line's id: kept, never unmentioned
            say(f"note: {repeated}\n")
        note = f" ({done.replaced} already stored: replaced, keeping {done.labels_kept} newer label(s))" if done.replaced else ""
        out.write(f"imported {done.imported} traces from {args.jsonl}{note}\n")
        return EXIT_OK
    if args.action == "show":
        record = find_trace(svc, args.trace_id, "traces show")
        if isinstance(record, tuple):
            say(record[1])
            return record[0]
        if args.json:
            out.write(line_safe(record.model_dump_json(indent=2)) + "\n")
            return EXIT_OK
        out.write(
            f"{one_line(record.trace_id)} {record.created_at:%Y-%m-%d %H:%M:%S} {one_line(record.status)} "
            f"{one_line(record.backend)}/{one_line(record.model)}"
            + (f" · handled by {one_line(record.origin)}" if record.origin else "")  # every outcome, not only answers
            + f"\n  Q: {one_line(record.question)}\n"
        )
        out.writelines(event_line(e) for e in record.events)
        return EXIT_OK
    limit = args.last or (LIST_DEFAULT if args.action == "list" else EXPORT_MAX)
    flt = TraceFilter(status=args.status, guardrail=args.guardrail, limit=limit)
    if args.action == "export":
        if not args.jsonl:
            say("error: traces export needs --jsonl FILE\n")
            return EXIT_USAGE
        try:
            n = svc.traces.export_jsonl(args.jsonl, flt)
        except OSError as exc:  # a folder that is not there, a folder in its place: usage; the disk full: failure
            say(f"error: cannot write {args.jsonl}: {exc.strerror or exc}\n")
            return path_exit_code(exc)
        out.write(f"exported {n} traces to {args.jsonl}\n")
        if n == EXPORT_MAX and svc.traces.count() > n:
            say(f"note: an export holds at most the newest {EXPORT_MAX:,}; narrow it with --status or --guardrail\n")
        return EXIT_OK
    records = svc.traces.list(flt)
    for r in records:
        if args.json:
            out.write(line_safe(r.model_dump_json()) + "\n")  # U+2028 and kin escaped
        else:
            fired = one_line(",".join(dict.fromkeys(r.fired)) or "-")  # a guardrail that fired on two attempts, once
            out.write(
                f"{one_line(r.trace_id[:12])} {r.created_at:%m-%d %H:%M:%S} {one_line(r.status):<9} {r.llm_calls} calls "
                f"{r.latency_ms:8.0f} ms  fired={fired:<30} {one_line(r.question[:60])}\n"
            )
    return EXIT_OK
