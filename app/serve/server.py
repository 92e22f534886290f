"""Running the HTTP service: loopback by default, a bearer token required before it listens anywhere else
(unless the operator says --insecure), uvicorn with graceful shutdown, access log lines on stderr; and
ServerThread, the same server on an ephemeral loopback port inside this process (tests, benchmarks).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import math
import socket
import sys
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from app import GuardedRAG
from app.serve.factory import create_app
from app.serve.header_bound import HEADERS_MAX, too_large_reply
from app.serve.middleware import ACCESS_LOG

DEFAULT_PORT = 11435  # next to Ollama's 11434, so both can run on one machine
# After the drain time, withdrawn questions get this long to answer from the documents (the model call under way
# ends first) before a reply still waiting ends with a "shutting down" error; uvicorn cuts connections later still.
SHUTDOWN_GRACE = 10.0


class ServeOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    insecure: bool = Field(default=False, description="Listen beyond loopback without a token (not recommended).")
    drain_timeout: float = Field(default=30.0, gt=0, description="Seconds shutdown waits for questions in flight.")
    # Slow clients (slowloris): uvicorn waits for a request's headers and body for as long as the client likes.
    header_timeout: float = Field(default=10.0, gt=0, description="Seconds a client has to send a request's headers.")
    body_timeout: float = Field(default=60.0, gt=0, description="Seconds a client has to send a request's body (408).")
    keep_alive: int = Field(default=5, ge=1, description="Seconds an idle keep-alive connection stays open.")


class ExposureError(ValueError):
    """Refusing to listen beyond loopback without a token."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(options: ServeOptions, svc: GuardedRAG) -> None:
    if is_loopback(options.host) or svc.settings.api_token is not None or options.insecure:
        return
    raise ExposureError(
        f"refusing to listen on {options.host} without a token: set GUARDED_RAG_API_TOKEN (clients then send "
        "`Authorization: Bearer <token>`), or pass --insecure to expose your documents to anyone who can reach the port"
    )


class ListenError(ValueError):
    """The address could not be bound (in use, not this machine's, a privileged port); the message says which."""


def check_bindable(host: str, port: int) -> None:
    """ListenError unless every address `host` resolves to can be bound on `port` (uvicorn binds them all).
    Checked before the app starts, so a port already taken is one clear error line instead of uvicorn's log of
    a startup, a bind error and a shutdown (exit 3). A trial bind released at once: another process could still
    take the port in between, and then uvicorn's own error stands."""
    try:
        addresses = {info[4][:2]: info[0] for info in socket.getaddrinfo(host.strip("[]") or None, port, type=socket.SOCK_STREAM)}
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    for address, family in addresses.items():
        with socket.socket(family, socket.SOCK_STREAM) as trial:
            trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT does not count
            if family == socket.AF_INET6:  # as asyncio binds IPv6: IPv6 only, so a listener on 0.0.0.0 does not collide
                trial.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                trial.bind(address)
            except OSError as exc:
                hint = (
                    "another server is listening there (stop it, or choose another --port)"
                    if exc.errno == errno.EADDRINUSE
                    else (exc.strerror or str(exc))
                )
                raise ListenError(f"cannot listen on {host}:{port}: {hint}") from None


def run_server(svc: GuardedRAG, options: ServeOptions, *, profiles: Mapping[str, GuardedRAG] | None = None) -> None:
    """Blocks until SIGINT/SIGTERM; then stops accepting, drains in-flight answers, exits. ListenError when the
    address cannot be bound."""
    check_exposure(options, svc)
    check_bindable(options.host, options.port)
    access = logging.getLogger(ACCESS_LOG)
    if not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    app = create_app(
        svc,
        profiles=profiles,
        drain_timeout=options.drain_timeout,
        loopback=is_loopback(options.host),
        close_services=True,  # SIGTERM ends the process right after shutdown: the queued traces are written first
        body_timeout=options.body_timeout,
    )
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        access_log=False,  # ours: one JSON line per request with the trace id
        timeout_graceful_shutdown=_cut_after(options.drain_timeout, SHUTDOWN_GRACE),
        timeout_keep_alive=options.keep_alive,
        http=header_deadline(options.header_timeout),
        lifespan="on",
    )
    DrainingServer(config, drain=options.drain_timeout, grace=SHUTDOWN_GRACE).run()


def _cut_after(drain: float, grace: float) -> int:
    """uvicorn's own limit, when it cancels what is still running: after ours (the drain time, then the grace), so
    every reply has ended in its protocol's shape by then."""
    return math.ceil(drain + grace) + 5


class DrainingServer(uvicorn.Server):
    """uvicorn's server, telling the app's runner when shutdown begins. uvicorn alone waits its graceful time
    for connections and then cancels them: a stream was cut mid-way (no error line, no `[DONE]`), a plain reply
    became a bare "Internal Server Error" with a traceback in the log, and the questions still queued or running
    were never traced (the process ended first). Now answers get the drain time, then every question is withdrawn
    (each answers from the documents and is traced) and, after the grace, a reply still waiting ends with a
    "shutting down" error in its dialect's shape; the app's shutdown then waits for the withdrawn questions'
    traces. A second Ctrl-C still forces the exit, within seconds: uvicorn then skips the app's shutdown, so the
    app's forced one runs instead (questions withdrawn, queued traces written, each step bounded)."""

    def __init__(self, config: uvicorn.Config, *, drain: float, grace: float) -> None:
        super().__init__(config)
        self._drain = drain
        self._grace = grace

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = getattr(self.config.app, "state", None)
        served = getattr(state, "served", None)
        if served is not None:
            served.runner.begin_shutdown(self._drain, self._grace)
        await super().shutdown(sockets)
        forced = getattr(state, "forced_shutdown", None)
        if self.force_exit and forced is not None:  # uvicorn skipped the app's shutdown: its bounded version
            await forced()


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


class ServerThread:
    """`with ServerThread(app) as server:` serves `app` on 127.0.0.1:<free port> from a thread; `server.url`."""

    def __init__(
        self,
        app: Starlette,
        *,
        host: str = "127.0.0.1",
        graceful_s: float = 5,
        grace_s: float = 5,
        header_timeout: float = 10.0,
        keep_alive: int = 5,
    ) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=_cut_after(graceful_s, grace_s),
            timeout_keep_alive=keep_alive,
            http=header_deadline(header_timeout),
        )
        self.server = DrainingServer(config, drain=graceful_s, grace=grace_s)
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server thread did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def stop(self, timeout: float = 30) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()
