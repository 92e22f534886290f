"""How a trace's replay inputs are stored: chunk texts leave the trace's JSON for a table keyed by chunk id and
content digest (the same passage retrieved by a thousand questions is stored once), and a per-trace size cap
drops whole captures, never parts of one (a cut text would make a recomputed decision a guess).

Pure functions shared by the SQLite and PostgreSQL backends and by the service, which applies the cap.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from app.traces.models import TraceInputs, TraceLabel, TraceRecord

TextKey = tuple[str, str]  # (content digest, chunk id)
_REF = "text_ref"
# A key in the packed JSON: inside a JSON string a quote is escaped, so this cannot match text the trace holds.
_REF_RE = re.compile(r'"text_ref":"([0-9a-f]{32})"')


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _pack_capture(capture: dict[str, Any]) -> dict[TextKey, str]:
    """Replace the chunk texts of one dumped capture by references (in place); the texts by key."""
    texts: dict[TextKey, str] = {}
    for chunk in capture.get("context", {}).get("chunks") or ():
        text = chunk.pop("text")
        key = (digest(text), str(chunk["chunk_id"]))
        texts[key] = text
        chunk[_REF] = key[0]
    return texts


def _dumps(packed: Any) -> str:
    return json.dumps(packed, ensure_ascii=False, separators=(",", ":"))


def pack(inputs: TraceInputs) -> tuple[str, dict[TextKey, str]]:
    """The inputs as JSON with every chunk's text replaced by a reference, and the texts by key."""
    packed = inputs.model_dump(mode="json")
    texts: dict[TextKey, str] = {}
    for capture in packed["captures"]:
        texts.update(_pack_capture(capture))
    return _dumps(packed), texts


def text_refs(body: str) -> set[str]:
    """The digests of the chunk texts a packed body refers to."""
    return set(_REF_RE.findall(body))


def unpack(body: str, texts: Mapping[str, str]) -> TraceInputs:
    """Stored inputs (a packed body) with their chunk texts (by digest) put back. The texts go back into the JSON
    text and pydantic parses it in one pass: json.loads + validation of the dicts took twice as long. A missing
    text or an unreadable record gives inputs with no captures and a note saying why (shown as 'not replayable',
    never guessed)."""
    try:
        full = _REF_RE.sub(lambda m: '"text":' + json.dumps(texts[m[1]], ensure_ascii=False), body)
        return TraceInputs.model_validate_json(full)
    except KeyError:
        return TraceInputs(note="stored inputs refer to a chunk text that is missing from the store")
    except ValidationError as exc:
        return TraceInputs(note=f"stored inputs cannot be read by this version: {str(exc).splitlines()[0][:200]}")


def stored_size(inputs: TraceInputs) -> int:
    """Bytes the inputs take in the store (each distinct chunk text counted once for this trace)."""
    body, texts = pack(inputs)
    return len(body.encode("utf-8")) + sum(len(t.encode("utf-8")) for t in texts.values())


def _prefix_sizes(inputs: TraceInputs) -> list[int]:
    """`stored_size` of the inputs kept with their first k captures, for every k from 0 to all of them. The inputs
    are dumped once and each capture measured once: the packed JSON is the rest of the inputs around the captures
    joined by commas, so the sizes add up (each distinct chunk text counted the first time a capture refers to it).
    Before, trimming re-serialized the whole inputs per capture dropped: quadratic, on the one trace-writer thread
    (2,000 client system prompts held every trace write up for 29 s)."""
    packed = inputs.model_dump(mode="json")
    captures, packed["captures"] = packed["captures"], []
    body = len(_dumps(packed).encode("utf-8"))  # "captures":[] and everything else
    text_bytes = 0
    seen: set[TextKey] = set()
    sizes = [body]
    for i, capture in enumerate(captures):
        texts = _pack_capture(capture)
        body += len(_dumps(capture).encode("utf-8")) + (1 if i else 0)  # the comma before all but the first
        for key, text in texts.items():
            if key not in seen:
                seen.add(key)
                text_bytes += len(text.encode("utf-8"))
        sizes.append(body + text_bytes)
    return sizes


def bounded(inputs: TraceInputs, cap_bytes: int) -> TraceInputs:
    """`inputs` kept whole when they fit in `cap_bytes`, else without their last captures (whole ones) until
    they fit, with `omitted` and a note. Inputs that cannot be serialized are dropped with a note. Linear in the
    size of the inputs (`_prefix_sizes`)."""
    try:
        sizes = _prefix_sizes(inputs)
        size = sizes[-1]
        if size <= cap_bytes:
            return inputs
        # sizes only grow with k: the most captures that fit (none, when even the rest of the inputs does not)
        keep = max((k for k, s in enumerate(sizes) if s <= cap_bytes), default=0)
        omitted = len(inputs.captures) - keep
        return inputs.model_copy(
            update={
                "captures": inputs.captures[:keep],
                "omitted": omitted,
                "note": f"{omitted} of {len(inputs.captures)} stage input(s) not kept: {size} bytes exceed the "
                f"per-trace cap of {cap_bytes} bytes (GUARDED_RAG_TRACE_INPUTS_KB)",
            }
        )
    except (ValueError, TypeError) as exc:  # pydantic's serialization error is a ValueError
        return TraceInputs(policy=inputs.policy, note=f"inputs could not be serialized: {str(exc)[:200]}")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Bulk work that builds many small acyclic objects (reading a thousand traces' inputs, replaying them) runs
    with the cyclic collector paused: with a large heap its full passes took a third of the time (measured in
    bench/bench_policy_replay.py). Reference counting still frees everything; only the caller that paused the
    collector resumes it, so overlapping calls on other threads never leave it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# -- shared by the backends: attach inputs and labels to records read from the store ------------------------
LABEL_COLUMNS = ("trace_id", "target", "attempt", "correct", "decision", "note", "source", "created_at")
Fetch = Callable[[str, Sequence[str]], Iterable[Sequence[Any]]]


def attach(records: Sequence[TraceRecord], fetch: Fetch, *, batch: int = 500) -> list[TraceRecord]:
    """`records` with their inputs and labels. `fetch(what, keys)` runs one of the backend's three queries
    ("inputs" by trace id -> (trace_id, inputs_json); "labels" by trace id -> LABEL_COLUMNS; "texts" by digest ->
    (digest, chunk_id, text)) for up to `batch` keys, so a thousand traces cost a handful of round trips."""
    with paused_gc():
        return _attach(records, fetch, batch)


def _attach(records: Sequence[TraceRecord], fetch: Fetch, batch: int) -> list[TraceRecord]:
    ids = [r.trace_id for r in records]
    packed: dict[str, str] = {}
    labels: dict[str, list[TraceLabel]] = {}
    for part in _batches(ids, batch):
        packed.update((str(trace_id), str(body)) for trace_id, body in fetch("inputs", part))
        for row in fetch("labels", part):
            labels.setdefault(row[0], []).append(label_from_row(row))
    wanted = sorted(set().union(*(text_refs(body) for body in packed.values())))
    texts: dict[str, str] = {}
    for part in _batches(wanted, batch):
        texts.update({d: t for d, _, t in fetch("texts", part)})
    return [
        r.model_copy(
            update={
                "inputs": unpack(packed[r.trace_id], texts) if r.trace_id in packed else None,
                "labels": tuple(sorted(labels.get(r.trace_id, ()), key=lambda lb: (lb.target, lb.attempt))),
            }
        )
        for r in records
    ]


def label_from_row(row: Sequence[Any]) -> TraceLabel:
    created = row[7] if isinstance(row[7], datetime) else datetime.fromisoformat(row[7])
    return TraceLabel(
        target=row[1],
        attempt=row[2],
        correct=bool(row[3]),
        decision=row[4],
        note=row[5],
        source=row[6],
        created_at=created.astimezone(UTC),
    )


def label_row(trace_id: str, label: TraceLabel) -> tuple[Any, ...]:
    return (trace_id, label.target, label.attempt, label.correct, label.decision, label.note, label.source, label.created_at)


def _batches(keys: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    return (keys[i : i + size] for i in range(0, len(keys), size))
