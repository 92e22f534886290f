"""A trace imported over its stored copy: the labels of both merged per decision, the newer judgement winning
(`merge_labels`, `merged_with_stored`, which the backends call inside the import's transaction), and what an
import did (`ImportResult`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from app.traces.models import TraceLabel, TraceRecord


def merge_labels(stored: Sequence[TraceLabel], imported: Sequence[TraceLabel]) -> tuple[tuple[TraceLabel, ...], int]:
    """The labels of a trace imported over its stored copy: for each decision (target, attempt) the newer
    judgement, and every label only one side has, so an old export does not erase labels made since. Also
    returns how many of the stored labels were kept over (or beside) the imported ones."""
    merged = {(lb.target, lb.attempt): lb for lb in imported}
    kept = 0
    for lb in stored:
        other = merged.get((lb.target, lb.attempt))
        if other is None or lb.created_at > other.created_at:
            merged[(lb.target, lb.attempt)] = lb
            kept += 1
    return tuple(sorted(merged.values(), key=lambda lb: (lb.created_at, lb.target, lb.attempt))), kept


class ImportResult(BaseModel):
    """What `import_jsonl` did: distinct traces imported, how many of them replaced a stored copy, how many of
    those copies' labels were kept (made after the export, or newer than the export's judgement), and notes for
    the user (a line repeating an earlier line's trace id: read_export's notes)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    imported: int
    replaced: int = 0
    labels_kept: int = 0
    notes: tuple[str, ...] = ()


def merged_with_stored(
    records: Sequence[TraceRecord], stored: Mapping[str, Sequence[TraceLabel]]
) -> tuple[list[TraceRecord], ImportResult]:
    """`records` about to replace their stored copies, each with its labels merged with the stored ones (merge_labels)
    when `stored` (trace id -> labels, for every id already stored) has it. A backend calls this inside the write
    transaction that replaces them, having read `stored` in it: a label saved meanwhile is then either read
    here or written after the import, never overwritten by it."""
    merged, replaced, kept = [], 0, 0
    for record in records:
        if record.trace_id in stored:
            labels, won = merge_labels(stored[record.trace_id], record.labels)
            record, replaced, kept = record.model_copy(update={"labels": labels}), replaced + 1, kept + won
        merged.append(record)
    return merged, ImportResult(imported=len(records), replaced=replaced, labels_kept=kept)
