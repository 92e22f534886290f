"""`guarded-rag doctor`: check backend, model, index, trace store, input detectors, telemetry and versions.

CLI layer: prints app.doctor's report; when the trace store will not open, the other checks still run.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from app import GuardedRAG, Settings, TraceStoreError, line_safe, run_doctor, unknown_variables
from app.cli.codes import EXIT_FAIL, EXIT_OK
from app.cli.terminal import say


def add_doctor_command(sub: Any) -> None:
    doc = sub.add_parser(
        "doctor", help="check backend, model, index, trace store, input detectors, telemetry export and versions"
    )
    doc.add_argument("--json", action="store_true")


@dataclass(frozen=True)
class UnopenedTraces:
    """The user's trace store, which would not open: doctor reports it as the failed `traces` check, its fix naming
    their settings (the service it checks the rest with runs on a throwaway store)."""

    settings: Settings
    error: str


def cmd_doctor(
    svc: GuardedRAG,
    args: argparse.Namespace,
    out: TextIO,
    *,
    unopened: UnopenedTraces | None = None,
    unloaded_policy: tuple[Settings, str] | None = None,
) -> int:
    shown = unopened.settings if unopened else unloaded_policy[0] if unloaded_policy else svc.settings
    report = run_doctor(
        settings=shown,
        choice=svc.backend(refresh=True),
        index_stats=svc.index_stats,
        trace_count=svc.traces.count,
        integrity=svc.index_integrity,
        trace_status=svc.traces.status,
        telemetry=svc.telemetry_status,
        probe=lambda: svc.probe_telemetry(svc.settings.otel_timeout),
        detectors=svc.input_detectors,
        generation=svc.embedded_generation_problem,
        preload=svc.preload,
        chat_model=lambda timeout: svc.chat_model(timeout=timeout),
        trace_error=unopened.error if unopened else None,
        unknown_env=unknown_variables(),
        policy_error=unloaded_policy[1] if unloaded_policy else None,
    )
    if args.json:
        out.write(line_safe(report.model_dump_json(indent=2)) + "\n")
    else:
        for check in report.checks:
            out.write(f"[{'ok' if check.ok else 'PROBLEM'}] {check.name}: {check.detail}\n")
            if check.fix and not check.ok:
                out.write(f"       fix: {check.fix}\n")
        out.write("versions: " + ", ".join(f"{name} {version}" for name, version in report.versions.items()) + "\n")
    return EXIT_OK if report.ok else EXIT_FAIL


def doctor_without_traces(
    settings: Settings, build: Callable[[Settings], GuardedRAG], args: argparse.Namespace, out: TextIO, error: TraceStoreError
) -> int:
    """The trace store would not open, yet the backend, model, index and detectors still deserve a check: run
    them on a service with a throwaway trace store, and report the real store as the failed `traces` check."""
    with tempfile.TemporaryDirectory(prefix="guarded-rag-doctor-") as tmp:
        try:
            svc = build(settings.model_copy(update={"trace_store": str(Path(tmp) / "traces.sqlite3")}))
        except (TraceStoreError, OSError, ValueError) as again:  # nothing else to check: say both, no traceback
            say(f"error: {error}\nerror: the other checks could not run either: {again}\n")
            return EXIT_FAIL
        try:
            return cmd_doctor(svc, args, out, unopened=UnopenedTraces(settings, str(error)))
        finally:
            svc.close()


def doctor_without_policy(
    settings: Settings, build: Callable[[Settings], GuardedRAG], args: argparse.Namespace, out: TextIO, error: ValueError
) -> int:
    """The policy file would not load, so no command can start; the backend, model, index and traces still deserve a
    check: run them with the default policy and report the file as the failed `policy` check."""
    try:
        svc = build(settings.model_copy(update={"policy": None}))
    except (TraceStoreError, OSError, ValueError) as again:  # nothing else to check: say both, no traceback
        say(f"error: {error}\nerror: the other checks could not run either: {again}\n")
        return EXIT_FAIL
    try:
        return cmd_doctor(svc, args, out, unloaded_policy=(settings, str(error)))
    finally:
        svc.close()
