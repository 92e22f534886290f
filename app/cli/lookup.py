"""The trace a command names (`traces show ID`, `traces label ID`): the id as people copy it from a table (a
prefix, maybe with a stray space or in capitals), or a one-line reason with the exit code to return. CLI layer."""

from __future__ import annotations

from app import GuardedRAG, TraceRecord
from app.cli.codes import EXIT_FAIL, EXIT_USAGE


def find_trace(svc: GuardedRAG, trace_id: str | None, command: str) -> TraceRecord | tuple[int, str]:
    wanted = (trace_id or "").strip().lower()  # ids are lowercase hex
    if not wanted:
        return EXIT_USAGE, f"error: {command} needs a TRACE_ID (the first column of `guarded-rag traces`)\n"
    record = svc.traces.get(wanted)
    if record is None:
        return EXIT_FAIL, (
            f"error: no trace {wanted!r}: ids are matched in full or by a prefix only one trace has; "
            "copy more of it from `guarded-rag traces`\n"
        )
    return record
