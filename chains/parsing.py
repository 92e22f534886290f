"""The parse ladder, cheapest rung first: strict JSON -> lenient (fences, the first object that is an answer, raw
newlines) -> repair (json-repair) -> give up with every rung's error, so the re-ask can feed them back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import json_repair
from pydantic import ValidationError

from chains.errors import OutputParseError
from chains.schemas import ModelAnswer
from guardrails import describe_validation

ParseRung = Literal["strict", "lenient", "repair"]

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
MAX_PARSE_CHARS = 16_384
"""The lenient and repair rungs read at most this much of a reply, its start: an answer object is at most ~1.3 K
characters (ModelAnswer's limits), and num_predict keeps a real reply to a few K. Both rungs cost more than linear
time on hostile text (measured before the cap: 32,000 '{' took 25 s in the balanced-object scan, and 10 MB of
text 1.9 s in json-repair), and a server need not honour num_predict."""
MAX_OBJECT_STARTS = 64
"""The balanced-object scan tries at most this many '{' as the object's start (each try reads on to the end)."""
MAX_REPAIR_DEPTH = 32
"""The repair rung gives json-repair no text nesting deeper than this (outside strings): an answer object nests two
levels, and json-repair's time grows with the nesting (measured: 16,000 '{', a reply within MAX_PARSE_CHARS, took
2.1-2.8 s per attempt, ~0.13 ms per level, on every re-ask)."""


@dataclass(frozen=True)
class RungAttempt:
    rung: ParseRung
    ok: bool
    error: str = ""
    text: str = ""  # the text this rung tried to parse (after its own clean-up)


@dataclass(frozen=True)
class Parsed:
    answer: ModelAnswer
    rung: ParseRung
    attempts: tuple[RungAttempt, ...] = field(default_factory=tuple)

    @property
    def repaired(self) -> bool:
        return self.rung != "strict"


def json_objects(text: str) -> Iterator[str]:
    """Every balanced {...} in text, respecting strings, in the order of their '{', starting at one of its first
    MAX_OBJECT_STARTS '{' (an object nested in another is tried after it)."""
    start = text.find("{")
    for _ in range(MAX_OBJECT_STARTS):
        if start == -1:
            break
        depth = 0
        for i, ch in _outside_strings(text, start):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    yield text[start : i + 1]
                    break
        start = text.find("{", start + 1)


def _outside_strings(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of `text` from `start`, JSON strings left out (their quotes and contents): what the
    bracket counters read."""
    in_str = escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        else:
            yield i, ch


def first_json_object(text: str) -> str | None:
    """The first balanced {...} in text (see json_objects); None when there is none."""
    return next(json_objects(text), None)


class _EveryCandidateFailed(ValueError):
    """Every candidate of a rung failed; the message lists their errors, already described."""


def _validate(data: Any) -> ModelAnswer:
    if data == "":  # json-repair's reading of a reply with no JSON in it (prose, an empty reply)
        raise ValueError("no JSON object found in the reply")
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return ModelAnswer.model_validate(data)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return describe_validation(exc)
    if isinstance(exc, _EveryCandidateFailed):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _strict(raw: str) -> tuple[ModelAnswer, str]:
    return ModelAnswer.model_validate_json(raw.strip()), raw.strip()


def _candidates(raw: str) -> list[str]:
    """Where the answer object may be, most likely first: the inside of a ``` fence that opens before any
    '{' (a wrapper), else the reply itself, then the other one. A fence after the first '{' can sit *inside*
    a JSON string (an answer quoting a config block); taking it first would throw the real object away
    (measured: SmolLM2 on "What does OLLAMA_KEEP_ALIVE control?" quoted a fenced block in its answer, and
    every re-ask failed the same way)."""
    fenced = _FENCE.search(raw)
    if fenced is None:
        return [raw]
    brace = raw.find("{")
    wrapper = brace == -1 or fenced.start() < brace
    return [fenced.group(1), raw] if wrapper else [raw, fenced.group(1)]


def _first_candidate(raw: str, parse_one: Callable[[str], tuple[ModelAnswer, str]]) -> tuple[ModelAnswer, str]:
    """`parse_one` on each candidate in turn; the first success wins, else every distinct error, joined."""
    errors: list[str] = []
    for candidate in _candidates(raw):
        try:
            return parse_one(candidate)
        except (ValueError, ValidationError, TypeError, RecursionError) as exc:
            errors.append(_describe(exc))
    raise _EveryCandidateFailed("; ".join(dict.fromkeys(errors)))


def _lenient_one(candidate: str) -> tuple[ModelAnswer, str]:
    """The first balanced object that is an answer: one before it ("use the {x: 1} form", a {"note": ...} object,
    a Modelfile's {{ .Prompt }}) made the rung give up on the answer object after it."""
    first_error: Exception | None = None
    for obj in json_objects(candidate):
        try:
            # Grammar-constrained llama.cpp lets raw newlines into strings: strict=False accepts them.
            return _validate(json.loads(obj, strict=False)), obj
        except (ValueError, ValidationError, TypeError, RecursionError) as exc:
            first_error = first_error or exc
    raise first_error or ValueError("no JSON object found in the reply")


def _nesting_depth(text: str) -> int:
    """The deepest nesting of {} and [] in text, outside strings (what is open at the end counts)."""
    depth = deepest = 0
    for _, ch in _outside_strings(text):
        if ch in "{[":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "}]":
            depth = max(0, depth - 1)
    return deepest


def _repair_one(candidate: str) -> tuple[ModelAnswer, str]:
    # json-repair closes truncated strings/brackets and fixes quotes; a well-kept library beats regexes.
    start = candidate.find("{")
    if _nesting_depth(candidate) > MAX_REPAIR_DEPTH:
        raise ValueError(f"the reply nests brackets deeper than {MAX_REPAIR_DEPTH} levels; an answer object nests two")
    try:
        data = json_repair.loads(candidate[start:] if start != -1 else candidate)
    except AssertionError as exc:  # json-repair asserts on some replies (0.64: a first key opening a ``` fence)
        raise ValueError("json-repair could not read the reply") from exc
    return _validate(data), json.dumps(data, ensure_ascii=False)


def _head(raw: str) -> str:
    return raw[:MAX_PARSE_CHARS]


def _lenient(raw: str) -> tuple[ModelAnswer, str]:
    return _first_candidate(_head(raw), _lenient_one)


def _repair(raw: str) -> tuple[ModelAnswer, str]:
    return _first_candidate(_head(raw), _repair_one)


_RUNGS: tuple[tuple[ParseRung, Any], ...] = (("strict", _strict), ("lenient", _lenient), ("repair", _repair))


def parse_answer(raw: str, *, attempt: int = 1) -> Parsed:
    """Parse a model reply into a ModelAnswer, or raise OutputParseError listing every rung's error."""
    attempts: list[RungAttempt] = []
    for rung, fn in _RUNGS:
        try:
            answer, text = fn(raw)
        except (ValueError, ValidationError, TypeError, RecursionError) as exc:
            attempts.append(RungAttempt(rung=rung, ok=False, error=_describe(exc)))
            continue
        attempts.append(RungAttempt(rung=rung, ok=True, text=text))
        return Parsed(answer=answer, rung=rung, attempts=tuple(attempts))
    errors = [f"{a.rung}: {a.error}" for a in attempts]
    cut = f"; only its first {MAX_PARSE_CHARS:,} of {len(raw):,} characters were read" if len(raw) > MAX_PARSE_CHARS else ""
    raise OutputParseError(
        "the reply is not a JSON object with a non-empty 'answer' string and a 'citations' list ("
        + attempts[-1].error
        + cut
        + ")",
        raw=raw,
        rung_errors=errors,
        attempt=attempt,
    )
