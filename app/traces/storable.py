"""The one change a store ever makes to a trace: characters no store can keep (NUL, lone surrogates) replaced by
U+FFFD (`storable`), applied to every record before it is saved or imported."""

from __future__ import annotations

from typing import Any

from app.traces.models import UNSTORABLE, TraceRecord, storable_text

# One such record would fail every retry and hold back every trace queued after it.
_UNSTORABLE = UNSTORABLE


def storable(record: TraceRecord) -> TraceRecord:
    """`record` itself when every string in it can be stored; else a copy with those characters replaced by
    U+FFFD (the only change a store ever makes to a trace)."""
    # Fast path: pydantic's JSON serializer visits every string in its compiled code, writing a NUL as the escape
    # \u0000 and failing on a lone surrogate. Only when it sees either does the slow walk below run (a literal
    # backslash-u0000 in a text also sends it there; the walk then finds nothing and keeps the record). The walk
    # over a whole trace in Python cost ~1 ms of the writer's CPU per trace, on the GIL requests need.
    try:
        clean = "\\u0000" not in record.model_dump_json()
    except ValueError:  # PydanticSerializationError: a surrogate
        clean = False
    if clean:
        return record
    dumped = record.model_dump()
    if not _has_unstorable(dumped):
        return record
    return TraceRecord.model_validate(_clean(dumped))


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_unstorable(v) for v in value)
    return False


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value
