"""Running the HTTP service: loopback by default, a bearer token required before it listens anywhere else
(unless the operator says --insecure), uvicorn with graceful shutdown, access log lines on stderr; and
ServerThread, the same server on an ephemeral loopback port inside this process (tests, benchmarks).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import sys
import threading
import time
from collections.abc import Mapping
from types import TracebackType

import uvicorn
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette

from app import GuardedRAG
from app.serve.factory import create_app
from app.serve.middleware import ACCESS_LOG

DEFAULT_PORT = 11435  # next to Ollama's 11434, so both can run on one machine


class ServeOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    insecure: bool = Field(default=False, description="Listen beyond loopback without a token (not recommended).")
    drain_timeout: float = Field(default=30.0, gt=0, description="Seconds shutdown waits for questions in flight.")


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
    app = create_app(svc, profiles=profiles, drain_timeout=options.drain_timeout, loopback=is_loopback(options.host))
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        access_log=False,  # ours: one JSON line per request with the trace id
        timeout_graceful_shutdown=int(options.drain_timeout),
        lifespan="on",
    )
    uvicorn.Server(config).run()


class ServerThread:
    """`with ServerThread(app) as server:` serves `app` on 127.0.0.1:<free port> from a thread; `server.url`."""

    def __init__(self, app: Starlette, *, host: str = "127.0.0.1", graceful_s: int = 5) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=graceful_s)
        self.server = uvicorn.Server(config)
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
