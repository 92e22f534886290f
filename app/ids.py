"""Trace ids: uuid4 hex strings drawn from a buffer of os.urandom bytes. App root, used by the service.

Why not uuid.uuid4() per request: os.urandom releases the GIL around its getrandom() call, and while another
thread is busy (the trace writer storing the previous request) taking it back cost the request up to the
interpreter's 5 ms switch interval (measured in the overhead bench: uuid4 p50 19 µs, p90 2 ms, mean 0.56 ms).
One os.urandom call per 256 ids keeps the same randomness source and hands the GIL over 256 times less often.
"""

from __future__ import annotations

import os
import threading
import uuid

ID_BYTES = 16


class TraceIds:
    """Random (version 4) UUID hex ids; thread-safe. A forked child refills its buffer before its first id, so
    parent and child never hand out the same ids."""

    def __init__(self, *, batch: int = 256) -> None:
        self._size = batch * ID_BYTES
        self._lock = threading.Lock()
        self._buffer = b""
        self._pos = 0
        self._pid = 0

    def next(self) -> str:
        with self._lock:
            if self._pos >= len(self._buffer) or self._pid != os.getpid():
                self._buffer, self._pos, self._pid = os.urandom(self._size), 0, os.getpid()
            raw = self._buffer[self._pos : self._pos + ID_BYTES]
            self._pos += ID_BYTES
        return uuid.UUID(bytes=raw, version=4).hex
