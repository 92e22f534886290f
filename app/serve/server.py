"""Running the HTTP service: uvicorn with graceful shutdown (DrainingServer), access log lines on stderr, once the
address passed its checks (exposure.py); and ServerThread, the same server on an ephemeral loopback port inside this
process (tests, benchmarks). Both speak HTTP through header_deadline.py's protocol.
"""

from __future__ import annotations

import logging
import math
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping
from types import FrameType, TracebackType

import uvicorn
from starlette.applications import Starlette

from app import GuardedRAG
from app.serve.exposure import check_bindable, check_exposure, is_loopback
from app.serve.factory import create_app
from app.serve.forced_exit_log import ForcedExitLog
from app.serve.header_deadline import header_deadline
from app.serve.middleware import ACCESS_LOG
from app.serve.options import ServeOptions

# After the drain time, withdrawn questions get this long to answer from the documents (the model call under way
# ends first) before a reply still waiting ends with a "shutting down" error; uvicorn cuts connections later still.
SHUTDOWN_GRACE = 10.0


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
    server = DrainingServer(config, drain=options.drain_timeout, grace=SHUTDOWN_GRACE)
    server.run()
    if server.interrupted:
        # uvicorn re-raises the SIGINT it caught once it has shut down, and Python's handler turns that into
        # KeyboardInterrupt (exit 130). A process started with SIGINT ignored (a script's `guarded-rag serve &`, a
        # CI runner's background job) has no such handler: the re-raise did nothing and `serve` exited 0 after
        # Ctrl-C (its second too), as if it had ended on its own.
        raise KeyboardInterrupt


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
    app's forced one runs instead (questions withdrawn, queued traces written, each step bounded), and the log says
    so in one plain line, not with the tracebacks of the tasks asyncio then cancels (forced_exit_log.py)."""

    def __init__(self, config: uvicorn.Config, *, drain: float, grace: float) -> None:
        super().__init__(config)
        self._drain = drain
        self._grace = grace
        self.interrupted = False  # a SIGINT (Ctrl-C) started the shutdown or forced it
        self._forced_log = ForcedExitLog()

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            super().run(sockets)
        finally:  # the loop is closed: what it cancelled has been logged
            self._forced_log.end()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.interrupted = self.interrupted or sig == signal.SIGINT
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = getattr(self.config.app, "state", None)
        served = getattr(state, "served", None)
        if served is not None:
            served.runner.begin_shutdown(self._drain, self._grace)
        await super().shutdown(sockets)
        forced = getattr(state, "forced_shutdown", None)
        if self.force_exit and forced is not None:  # uvicorn skipped the app's shutdown: its bounded version
            cut_off = len(self.server_state.tasks)  # requests still running: each is withdrawn, then cut off
            self._forced_log.begin()
            await forced()
            self._forced_log.say(cut_off)


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
