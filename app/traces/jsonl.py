"""The trace export file (JSONL, one TraceRecord a line), both ways: `write_export` writes the records
`traces export --jsonl` chose, `read_export` reads a file back for `traces import` (and the dead-letter file's
lines, which hold whole records), every line validated (ImportedTrace) before anything is saved."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from app.traces.dead_letter import kept_record
from app.traces.imported import ImportedTrace
from app.traces.inputs import paused_gc
from app.traces.merge import merge_labels
from app.traces.models import TraceRecord, TraceStoreError
from guardrails import describe_validation


def write_export(path: Path, records: Iterable[TraceRecord | None]) -> None:
    """One JSON line per record (events, inputs and labels included); a None (a trace gone meanwhile) is skipped."""
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            if record is not None:
                out.write(record.model_dump_json() + "\n")


def read_export(path: Path) -> list[TraceRecord]:
    """The records of an export file, one per distinct trace id in the order first seen, each line validated;
    TraceStoreError naming the first bad line (and how many more there are) when any line is bad. A trace listed
    on several lines is the last line's copy with the labels of all of them (merge_labels: per decision, the
    newest judgement): before, the last line won whole and the earlier lines' labels were dropped."""
    records: dict[str, TraceRecord] = {}
    first_bad, bad = "", 0
    try:
        # paused_gc: many small acyclic objects; the collector's full passes over them cost more than the parsing
        with paused_gc(), path.open(encoding="utf-8-sig") as lines:  # a byte-order mark (Windows editors): no bad line
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = ImportedTrace.from_line(kept_record(line) or line)
                except ValidationError as exc:
                    first_bad = (
                        first_bad
                        or f"{path}:{number} is not a trace record: {describe_validation(exc, whole='the line', limit=3)[:400]}"
                    )
                    bad += 1
                    continue
                earlier = records.get(record.trace_id)
                if earlier is not None:
                    labels, _ = merge_labels(earlier.labels, record.labels)
                    record = record.model_copy(update={"labels": labels})
                records[record.trace_id] = record
    except UnicodeDecodeError:
        raise TraceStoreError(
            f"{path} is not a trace export: it is not UTF-8 text; `guarded-rag traces export --jsonl FILE` writes one"
        ) from None
    if bad:
        more = f" ({bad - 1} more bad line(s) after it)" if bad > 1 else ""
        raise TraceStoreError(
            f"{first_bad}{more}; nothing was imported; `guarded-rag traces export --jsonl FILE` writes the expected format"
        )
    return list(records.values())
