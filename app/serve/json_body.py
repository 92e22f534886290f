"""A request body parsed as JSON, with what was wrong with it said in plain words (400): never a Python exception
name or message ("RecursionError: maximum recursion depth exceeded", "use sys.set_int_max_str_digits()"), which
tell a client nothing it can act on. The log keeps the exception for operators.

Nesting is held to MAX_DEPTH levels, measured without recursion: json.loads itself stops near a thousand levels, but
what reads the parsed value afterwards (utf8_safe_tree, pydantic, the trace writer) recurses too, and a body nested
a few hundred levels deep failed there instead, as a 500 or the same RecursionError.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from app import utf8_safe_tree
from app.serve.errors import Problem

log = logging.getLogger("guarded_rag.serve")

MAX_DEPTH = 100  # arrays and objects inside one another; a chat request with tools' JSON schemas needs about 20


def parse_body(body: bytes) -> Any:
    """The JSON value of `body`, lone surrogates made U+FFFD; Problem(400) saying what is wrong otherwise."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise _too_deep("RecursionError from json.loads") from None
    except UnicodeDecodeError as exc:
        log.info("400: request body not decodable: %s: %s", type(exc).__name__, exc)
        raise _invalid(f"it is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise _invalid(f"{exc.msg.lower()} at line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:  # the one other: an integer longer than int(str) converts
        log.info("400: request body not parsed: %s: %s", type(exc).__name__, exc)
        raise _invalid(f"a number has more than {sys.get_int_max_str_digits()} digits") from None
    if depth_exceeds(value, MAX_DEPTH):
        raise _too_deep(f"more than {MAX_DEPTH} levels")
    # Lone surrogates (JSON allows the escape "\\udcff"; json.loads lets invalid UTF-8 bytes through as them)
    # become U+FFFD: nothing downstream can encode them (SQLite, the model, this response), and the input_size
    # guardrail already refuses text that is mostly replacement characters.
    return utf8_safe_tree(value)


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels in `value` (a scalar is level 0), without recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth + 1 > limit:
                return True
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return False


def _invalid(why: str) -> Problem:
    return Problem(400, f"invalid JSON in the request body: {why}", code="invalid_json")


def _too_deep(detail: str) -> Problem:
    log.info("400: request body nested too deeply (%s)", detail)
    return Problem(400, f"the JSON body is nested too deeply (more than {MAX_DEPTH} levels)", code="invalid_json")
