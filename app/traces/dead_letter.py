"""Trace records the backend refused (a constraint, a value it will refuse every time): kept whole, one JSON line
each with the error, in a file beside the store (Settings.rejected_traces), never retried. The store writes them
(store.py); `guarded-rag doctor` counts them. One module owns the format, so the writer and the count agree."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from app.traces.models import TraceRecord

log = logging.getLogger("guarded_rag.traces")


def error_text(exc: BaseException) -> str:
    """How a save failure is reported (status, log, dead letter): its type and the start of its message."""
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def set_aside(path: Path | None, record: TraceRecord, *, location: str, error: str) -> None:
    """Append `record` to the file at `path`; with no file, or one that cannot be written, log it whole."""
    line = json.dumps(
        {
            "set_aside_at": datetime.now(UTC).isoformat(),
            "location": location,
            "error": error,
            "record": record.model_dump(mode="json"),
        },
        ensure_ascii=False,
    )
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
            log.error("trace %s was refused by %s (%s); kept in %s", record.trace_id, location, error, path)
            return
        except OSError as write_error:
            log.error("the dead-letter file %s could not be written: %s", path, write_error)
    log.error("trace %s was refused by %s (%s); the record: %s", record.trace_id, location, error, line)


def count_set_aside(path: Path) -> int:
    """How many records the file holds (0 when there is none)."""
    if not path.is_file():
        return 0
    with path.open(encoding="utf-8", errors="replace") as kept:
        return sum(1 for line in kept if line.strip())
