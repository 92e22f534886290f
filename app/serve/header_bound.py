"""The most bytes a request's header section may take before `serve` answers 431 and closes the connection.

uvicorn's httptools protocol kept every header line it was sent: 300 MB of headers on one connection was answered
200 in under a second, the process 300 MB larger, and a few such connections were enough to exhaust memory.
"""

from __future__ import annotations

import json
import logging

HEADERS_MAX = 64 * 1024
"""Bytes of a request line and headers; far beyond what a browser or an API client sends (nginx: 32 KB)."""

log = logging.getLogger("guarded_rag.serve")


def too_large_reply(received: int) -> bytes:
    """The whole 431 response (the connection is closed after it), logged: nothing of the request was read."""
    log.warning("a request's headers passed %d bytes (%d received): 431, connection closed", HEADERS_MAX, received)
    body = json.dumps(
        {"error": f"the request's headers are larger than {HEADERS_MAX:,} bytes ({received:,} received before it was refused)"}
    ).encode()
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body
