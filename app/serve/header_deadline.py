"""uvicorn's HTTP protocol with the two limits uvicorn lacks on a request's header section: a deadline for it to
arrive (slowloris), and a bound on its size (a 431, header_bound.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from app.serve.header_bound import HEADERS_MAX, too_large_reply


def header_deadline(seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools, or h11 without it), closing a connection whose request headers have not
    all arrived `seconds` after the connection opened or its previous response ended. uvicorn has no such limit:
    a client sending half a request (or nothing) held its connection forever, and enough of them every socket
    the process may open. The body has its own limit (`create_app(body_timeout=...)`, a 408)."""
    base: Any = AutoHTTPProtocol  # a class chosen at import time: Any, so it can be subclassed

    class HeaderDeadline(base):  # type: ignore[misc]
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._arm()

        _header_bytes = 0
        _refused = False

        def data_received(self, data: bytes) -> None:
            if self._refused:  # answered 431: the rest is dropped until the client or the header deadline closes
                return
            if self._between_requests():
                self._arm()  # the first bytes of a request: its headers are due (the deadline is not moved by more)
            super().data_received(data)
            if not self._between_requests():
                self._disarm()  # the headers are in: the request is the app's now
            elif not self.transport.is_closing():  # still in the headers: they may not grow without bound
                self._header_bytes += len(data)
                if self._header_bytes > HEADERS_MAX:  # answered, then only our side closed: closing outright
                    self._refused = True  # with the client's bytes unread resets the connection, the 431 lost
                    self.transport.write(too_large_reply(self._header_bytes))
                    self.transport.write_eof()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or bool(self.cycle.response_complete)

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            self._header_bytes = 0
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self._between_requests() and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadline
