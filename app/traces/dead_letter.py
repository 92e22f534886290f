"""Trace records the backend refused (a constraint, a value it will refuse every time), or could still not take when
the process ended: kept whole, one JSON line each with the error, in a file beside the store
(Settings.rejected_traces), never retried by the writer. The writer puts them there (writer.py); `guarded-rag
doctor` counts them; `guarded-rag traces import` reads them back (kept_record). One module owns the format, so the
writer, the count and the import agree."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from app.jsonline import json_line
from app.traces.models import TraceRecord

log = logging.getLogger("guarded_rag.traces")


def error_text(exc: BaseException) -> str:
    """How a save failure is reported (status, log, dead letter): its type and the start of its message."""
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def set_aside(path: Path | None, record: TraceRecord, *, location: str, error: str) -> None:
    """Append `record` to the file at `path`; with no file, or one that cannot be written, log it whole."""
    # json_line: one line for any reader (U+2028/U+2029/U+0085 escaped, as every JSON line of the app writes them)
    line = json_line(
        {
            "set_aside_at": datetime.now(UTC).isoformat(),
            "location": location,
            "error": error,
            "record": record.model_dump(mode="json"),
        }
    )
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One write to a file opened for appending: lines set aside by several threads (requests that found
            # the queue full) or processes at once never interleave, as a buffered file's chunked writes could.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                data = (line + "\n").encode("utf-8")
                written = os.write(fd, data)
                if written != len(data):  # a full disk: the part written is taken back, then said as open() would
                    _take_back(fd, written)
                    raise OSError(f"only part of the record could be written to {path}")
            finally:
                os.close(fd)
            log.error("trace %s was refused by %s (%s); kept in %s", record.trace_id, location, error, path)
            return
        except OSError as write_error:
            log.error("the dead-letter file %s could not be written: %s", path, write_error)
    log.error("trace %s was refused by %s (%s); the record: %s", record.trace_id, location, error, line)


def _take_back(fd: int, written: int) -> None:
    """Remove the `written` bytes a short append just left at the end of the file: a line cut off there had the
    next record set aside (once there is room again) glued to it, and that line, neither record readable, made
    `traces import` refuse the whole file. Only when nothing was appended after it (another writer's line stays)."""
    end = os.lseek(fd, 0, os.SEEK_CUR)  # after an O_APPEND write: the end of what it wrote
    if written > 0 and os.fstat(fd).st_size == end:
        os.ftruncate(fd, end - written)


def count_set_aside(path: Path) -> int:
    """How many records the file holds (0 when there is none)."""
    if not path.is_file():
        return 0
    with path.open(encoding="utf-8", errors="replace") as kept:
        return sum(1 for line in kept if line.strip())


_LINE_START = '{"set_aside_at"'  # json_line keeps set_aside's key order: every line starts so


def kept_record(line: str) -> str | None:
    """The record of a dead-letter line, as the JSON line of an export file, or None for any other line (an
    export's own lines, which `traces import` reads as they are)."""
    if not line.lstrip().startswith(_LINE_START):
        return None
    try:
        record = json.loads(line).get("record")
    except ValueError:
        return None
    return json.dumps(record, ensure_ascii=False) if isinstance(record, dict) else None
