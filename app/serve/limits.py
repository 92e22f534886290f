"""Request limits of the HTTP service: the body is read with a cap (413 beyond it, before parsing), parsed
as JSON (400 saying what is wrong: app/serve/json_body.py), and each chat message is held to a size (413).

Hand-written because Starlette has no body-size limit of its own; the check runs while reading, so a
huge chunked body is cut off at the cap instead of being buffered whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
from starlette.requests import ClientDisconnect, Request

from app import ChatMessage
from app.serve.errors import Problem
from app.serve.json_body import parse_body


async def read_json(request: Request, *, max_bytes: int, timeout: float = 60.0) -> Any:
    """The body as JSON, read within `timeout` seconds: a client that sends it slowly (or stops halfway) gets a 408
    and the connection is closed, instead of holding the request open for as long as it likes."""
    _check_encoding(request.headers.get("content-encoding", ""))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(int(declared), max_bytes)
    body = bytearray()
    try:
        with anyio.fail_after(timeout):
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(len(body), max_bytes)
    except ClientDisconnect:
        raise Problem(400, "the client disconnected while sending the request body", code="client_disconnected") from None
    except TimeoutError:
        raise Problem(
            408,
            f"the request body did not arrive within {timeout:g} s ({len(body)} bytes received)",
            code="request_timeout",
            headers={"Connection": "close"},
        ) from None
    if not body.strip():
        raise Problem(400, "empty request body: expected a JSON object", code="invalid_request")
    return parse_body(bytes(body))


def _check_encoding(encoding: str) -> None:
    """A compressed body (Content-Encoding: gzip, ...) is not decompressed (no zip bomb to guard against): 415 saying
    so, instead of a 400 "invalid JSON: UnicodeDecodeError ... byte 0x8b" that reads as a broken request."""
    coding = encoding.strip().lower()
    if coding not in ("", "identity"):
        raise Problem(
            415,
            f"request bodies with Content-Encoding {coding[:40]!r} are not accepted: send the JSON uncompressed",
            code="unsupported_content_encoding",
            headers={"Accept-Encoding": "identity"},
        )


def check_messages(messages: Sequence[ChatMessage], *, max_chars: int) -> None:
    for i, message in enumerate(messages):
        if len(message.content) > max_chars:
            raise Problem(
                413,
                f"message {i} ({message.role}) has {len(message.content)} characters; the limit is {max_chars} "
                "(GUARDED_RAG_MAX_MESSAGE_CHARS)",
                code="message_too_large",
            )


def _too_large(size: int, limit: int) -> Problem:
    return Problem(
        413,
        f"request body of {size}+ bytes exceeds the limit of {limit} bytes (GUARDED_RAG_MAX_BODY_KB)",
        code="request_too_large",
    )
