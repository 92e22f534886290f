"""The trace export file (JSONL, one TraceRecord a line), both ways: `write_export` writes the records
`traces export --jsonl` chose, `read_export` reads a file back for `traces import` (and the dead-letter file's
lines, which hold whole records), every line validated (ImportedTrace) before anything is saved."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from app.jsonline import line_safe
from app.traces.dead_letter import kept_record
from app.traces.imported import ImportedTrace
from app.traces.inputs import paused_gc
from app.traces.merge import merge_labels
from app.traces.models import TraceRecord, TraceStoreError
from guardrails import describe_validation

_EXPORT_START = b'{"trace_id"'  # how every line write_export writes begins (TraceRecord's first field)


def write_export(path: Path, records: Iterable[TraceRecord | None], *, line_max: int | None = None) -> None:
    """One JSON line per record (events, inputs and labels included); a None (a trace gone meanwhile) is skipped.

    Found by a walkthrough: `traces export --jsonl ~/.guarded-rag/traces.sqlite3` truncated the trace database
    itself and wrote JSON into it ("exported 6 traces"; every later command: "file is not a database"), and an
    export that failed half way (disk full, Ctrl-C) left a cut-off file in place of the previous export. Now a
    file that is there already is replaced only when it is an earlier export (FileExistsError otherwise: the
    database, a dead-letter file, a document), and the new file replaces it whole, once it is complete.

    A record whose line is longer than `line_max` characters (LINE_MAX: what `read_export` reads) stops the export
    with TraceStoreError naming it, the earlier export left in place: GUARDED_RAG_TRACE_INPUTS_KB once allowed replay
    inputs of up to 100 MB, and such a trace was exported into a file its own import then refused (the setting is
    bounded now, TRACE_INPUTS_KB_MAX; traces recorded before, or by another build, still meet this check)."""
    bound = LINE_MAX if line_max is None else line_max
    try:
        target = path.resolve() if path.is_symlink() else path  # a link to an earlier export: that one is replaced
    except RuntimeError:  # a link loop (Python 3.11; later versions raise OSError): said as open() says it
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from None
    if _regular_file(target):
        _check_replaceable(target)
    elif target.exists():  # /dev/null, a pipe: nothing to replace, nothing half written to keep
        _write_lines(target, records, bound)
        return
    temp = target.with_name(f".{_short(target.name)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        _write_lines(temp, records, bound, create=True)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _short(name: str) -> str:
    """The start of `name` for the temporary file's: a target name near the 255-byte limit fits, yet the temporary
    name (24 more bytes) did not, and such an export failed with "File name too long"."""
    return name.encode("utf-8", "surrogateescape")[:100].decode("utf-8", "ignore")


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _check_replaceable(path: Path) -> None:
    """FileExistsError unless `path` is empty or an earlier export (its first line starts as write_export's do)."""
    with path.open("rb") as existing:
        head = existing.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head and not head.startswith(_EXPORT_START):
        raise FileExistsError(
            errno.EEXIST,
            "the file is there and is not a trace export, so it is left as it is; name a new file "
            "(an export replaces only an earlier export)",
            str(path),
        )


def _write_lines(path: Path, records: Iterable[TraceRecord | None], line_max: int, *, create: bool = False) -> None:
    flags = os.O_WRONLY | (os.O_CREAT | os.O_EXCL if create else os.O_TRUNC)
    with os.fdopen(os.open(path, flags, 0o666), "w", encoding="utf-8") as out:  # 0o666: the umask applies, as open()
        for record in records:
            if record is not None:
                # line_safe: U+2028, U+0085 and kin escaped, or a reader splitting with str.splitlines cut the line
                line = line_safe(record.model_dump_json())
                if len(line) > line_max:
                    raise TraceStoreError(
                        f"trace {record.trace_id} is {len(line):,} characters as a JSON line, more than the "
                        f"{line_max:,} `traces import` reads, so nothing was exported (a file "
                        "there before is left as it was); its replay inputs make it that large: lower GUARDED_RAG_TRACE_INPUTS_KB for new "
                        "traces, and narrow the export with --status, --guardrail or --last to leave this one out"
                    )
                out.write(line + "\n")


# The longest line `traces import` reads, in characters. A trace the store writes is far shorter (its replay inputs
# are capped at GUARDED_RAG_TRACE_INPUTS_KB, 64 KB by default), and parsing a line takes about ten times its size
# in memory: a file holding one 200 MB line reached 1.9 GB before failing.
LINE_MAX = 64 * 1024 * 1024
_SKIP_CHUNK = 1 << 20  # the rest of an over-long line is read and dropped this many characters at a time


NOTES_MAX = 5  # repeated-id notes listed one by one; the rest are counted in one more


@dataclass(frozen=True)
class ExportLines:
    """What `read_export` read: the records to store, and a note for each line whose trace id an earlier line has."""

    records: list[TraceRecord]
    notes: tuple[str, ...] = ()


def read_export(path: Path, *, line_max: int = LINE_MAX) -> ExportLines:
    """The records of an export file, one per distinct trace id in the order first seen, each line validated;
    TraceStoreError naming the first bad line (and how many more there are) when any line is bad. A trace listed
    on several lines is the last line's copy with the labels of all of them (merge_labels: per decision, the
    newest judgement): before, the last line won whole and the earlier lines' labels were dropped. A line longer
    than `line_max` characters is a bad line, read in pieces and never held whole.

    A repeated id is kept, not refused, and named in `notes` (found by a hunt: a 3-line file said "imported 2
    traces" and nothing else). Kept because that is what importing the lines one file at a time does (a stored
    trace is replaced by the imported copy, labels merged), and a user joining two overlapping exports
    (`cat old.jsonl new.jsonl`) expects the same result from one import, not a refusal; named because a line
    that does not become a trace of its own should never go unmentioned."""
    records: dict[str, TraceRecord] = {}
    seen_on: dict[str, int] = {}
    notes: list[str] = []
    repeats = 0
    first_bad, bad = "", 0
    try:
        # paused_gc: many small acyclic objects; the collector's full passes over them cost more than the parsing
        with paused_gc(), path.open(encoding="utf-8-sig") as lines:  # a byte-order mark (Windows editors): no bad line
            for number, line in enumerate(_bounded_lines(lines, line_max), 1):
                if line is None:
                    first_bad = first_bad or (
                        f"{path}:{number} is longer than {line_max:,} characters, more than any trace the store "
                        "writes, so it was not read"
                    )
                    bad += 1
                    continue
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
                    repeats += 1
                    if repeats <= NOTES_MAX:
                        notes.append(
                            f"{path}:{number}: trace_id {record.trace_id} is also on line {seen_on[record.trace_id]}; "
                            "the later line is kept, with the labels of both"
                        )
                records[record.trace_id] = record
                seen_on[record.trace_id] = number
    except UnicodeDecodeError:
        raise TraceStoreError(
            f"{path} is not a trace export: it is not UTF-8 text; `guarded-rag traces export --jsonl FILE` writes one"
        ) from None
    if bad:
        more = f" ({bad - 1} more bad line(s) after it)" if bad > 1 else ""
        raise TraceStoreError(
            f"{first_bad}{more}; nothing was imported; `guarded-rag traces export --jsonl FILE` writes the expected format"
        )
    if repeats > NOTES_MAX:
        notes.append(
            f"{path}: {repeats - NOTES_MAX} more line(s) repeat the trace_id of an earlier line; each later line is kept"
        )
    return ExportLines(list(records.values()), tuple(notes))


def _bounded_lines(lines: TextIO, line_max: int) -> Iterator[str | None]:
    """Each line of `lines` (as iterating the file gives them), or None for one longer than `line_max`
    characters, whose rest is skipped a piece at a time: iterating a file reads a line whole, however long."""
    while line := lines.readline(line_max + 1):
        if len(line) <= line_max or line.endswith("\n"):
            yield line
            continue
        while (rest := lines.readline(_SKIP_CHUNK)) and not rest.endswith("\n"):
            pass
        yield None
