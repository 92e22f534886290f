"""Translation of Ollama request knobs (`options`, `format`) into llama-cpp-python arguments.

Pure functions, shared by the transport (to answer 400 before anything runs) and the engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.embedded.events import Format

# Ollama option name -> create_chat_completion keyword. Options not listed here (num_gpu, num_thread,
# num_batch, ...) are accepted and ignored, as Ollama does with options a runner does not use.
_FLOATS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "min_p": "min_p",
    "typical_p": "typical_p",
    "repeat_penalty": "repeat_penalty",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "tfs_z": "tfs_z",
    "mirostat_tau": "mirostat_tau",
    "mirostat_eta": "mirostat_eta",
}
_INTS = {"top_k": "top_k", "seed": "seed", "mirostat": "mirostat_mode"}


class OptionsError(ValueError):
    """A request option or format has the wrong type or value (answered with HTTP 400)."""


def sampling_kwargs(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """create_chat_completion keywords for the given Ollama `options` (only those that were set)."""
    options = options or {}
    if not isinstance(options, Mapping):
        raise OptionsError("options must be an object")
    out: dict[str, Any] = {}
    for key, target in _FLOATS.items():
        if options.get(key) is not None:
            out[target] = _number(key, options[key], float)
    for key, target in _INTS.items():
        if options.get(key) is not None:
            out[target] = _number(key, options[key], int)
    if options.get("num_predict") is not None:
        limit = _number("num_predict", options["num_predict"], int)
        # Ollama: -1 = no limit, -2 = fill the context; llama-cpp: None = until the context is full.
        out["max_tokens"] = None if limit < 0 else limit
    if options.get("stop") is not None:
        out["stop"] = _stop(options["stop"])
    return out


def requested_ctx(options: Mapping[str, Any] | None) -> int | None:
    """options.num_ctx, validated; None when absent."""
    if not options or options.get("num_ctx") is None:
        return None
    value = int(_number("num_ctx", options["num_ctx"], int))
    if value < 1:
        raise OptionsError("num_ctx must be positive")
    return value


def response_format(format: Format) -> dict[str, Any] | None:
    """Ollama `format` -> llama-cpp `response_format` (a JSON schema becomes a grammar)."""
    if format is None or format == "":
        return None
    if format == "json":
        return {"type": "json_object"}
    if isinstance(format, dict):
        _check_schema(format)
        return {"type": "json_object", "schema": format}
    raise OptionsError('invalid format: expected "json" or a JSON schema object')


def _check_schema(schema: dict[str, Any]) -> None:
    """OptionsError unless llama-cpp-python can turn `schema` into a grammar. It would not say: a schema it cannot
    convert (a misspelt type, an unresolvable $ref, a pattern without ^...$) silently became "any JSON", and a small
    model then wrote `{ }`. Ollama refuses such a format ("invalid JSON schema in format"). Without llama-cpp-python
    (it loads lazily) nothing is checked here: the engine reports that it is missing."""
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf
    except ImportError:
        return
    try:
        json_schema_to_gbnf(json.dumps(schema))
    except Exception as exc:  # its converter asserts (AssertionError), or fails on odd values (KeyError, TypeError...)
        raise OptionsError(f"invalid JSON schema in format: {str(exc)[:300] or type(exc).__name__}") from None


def _number(key: str, value: Any, kind: type[int] | type[float]) -> Any:
    # bool is an int subclass; `"temperature": true` is a client bug worth a 400, not a silent 1.0.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptionsError(f"option {key!r} must be a number, got {value!r}")
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise OptionsError(f"option {key!r} must be an integer, got {value!r}")
    return kind(value)


def _stop(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise OptionsError("option 'stop' must be a string or a list of strings")
    return list(items)
