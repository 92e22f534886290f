"""The HTTP service's app factory: the three dialects' routes over one Served (service, bounded runner,
metrics), wrapped in the access log, optional CORS and the optional bearer token.

The lifespan warms the service in the background (index, backend choice, model load) so the first question
is not the slow one, and on shutdown drains admitted questions, then writes the traces still queued (closing the
services when it owns them) before the process exits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from app import GuardedRAG, settle_heap
from app.serve import native, ollama, openai
from app.serve.errors import Problem, error_response
from app.serve.metrics import Metrics
from app.serve.middleware import AccessLog, BearerAuth, LocalGuard, LocalPagesCORS
from app.serve.runner import Runner
from app.serve.served import MODEL_NAME, Served, profile_model

log = logging.getLogger("guarded_rag.serve")
# A second Ctrl-C forces the exit: still, questions in a model call get this long to end and leave their traces,
# and the trace stores this long to write what is queued (the operator asked to stop now: seconds, not the drain).
FORCED_DRAIN_S = 3.0
FORCED_FLUSH_S = 5.0
# What browser clients send (the openai JS SDK adds its X-Stainless-* headers): the same list Ollama allows, so a
# front end that works against Ollama passes its preflight here too.
BROWSER_CLIENT_HEADERS = [
    "Authorization",
    "Content-Type",
    "User-Agent",
    "Accept",
    "X-Requested-With",
    "OpenAI-Beta",
    *(
        f"X-Stainless-{name}"
        for name in (
            "Lang",
            "Package-Version",
            "OS",
            "Arch",
            "Retry-Count",
            "Runtime",
            "Runtime-Version",
            "Async",
            "Helper-Method",
            "Poll-Helper",
            "Custom-Poll-Interval",
            "Timeout",
        )
    ),
]


def create_app(
    svc: GuardedRAG,
    *,
    profiles: Mapping[str, GuardedRAG] | None = None,
    drain_timeout: float = 30.0,
    warm: bool = True,
    loopback: bool = True,
    close_services: bool = False,
    body_timeout: float = 60.0,
) -> Starlette:
    """`svc` is served as guarded-rag:latest; each profile NAME as guarded-rag:NAME (e.g. a stricter policy).
    Serving itself (limits, token, CORS) follows `svc`'s settings; all profiles share one bound on work.
    `loopback`: the server listens on loopback only, so requests must be addressed to this machine (LocalGuard).
    `close_services`: the app owns the services (`guarded-rag serve`): shutdown closes them (traces written,
    telemetry flushed); otherwise it only writes their queued traces. `body_timeout`: seconds a client has to send
    a request body (408 beyond), so a slow client cannot hold a request open."""
    settings = svc.settings
    metrics = Metrics()
    runner = Runner(max_inflight=settings.max_inflight, max_queue=settings.max_queue, metrics=metrics)
    services = {MODEL_NAME: svc} | {profile_model(name): p for name, p in (profiles or {}).items()}
    served = Served(services=services, runner=runner, metrics=metrics, body_timeout=body_timeout)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        warming = asyncio.get_running_loop().create_task(anyio.to_thread.run_sync(_warm, svc)) if warm else None
        yield
        await _drained(runner, drain_timeout)
        if warming is not None and not warming.done():
            warming.cancel()
        # The traces of the last answers are still queued for the trace writer. uvicorn re-raises the SIGTERM it
        # caught once this returns, which ends the process before any atexit hook (the trace store's own flush)
        # runs: they were lost. Written here, on a worker thread (a slow store must not stall the loop).
        await anyio.to_thread.run_sync(_close if close_services else _flush, list(services.values()))

    async def forced_shutdown() -> None:
        """A second Ctrl-C: uvicorn skips the lifespan's shutdown (above) and the process ends right after, with
        the traces still queued in a trace writer lost (a profile's own store was never flushed) and a question in
        a model call cut off untraced. Here, bounded: every question is withdrawn (its reply ends with a "shutting
        down" error), those in a model call get FORCED_DRAIN_S to leave their traces, and every store gets
        FORCED_FLUSH_S to write what is queued."""
        runner.give_up()
        await _drained(runner, FORCED_DRAIN_S)
        stores = list(services.values())
        if await anyio.to_thread.run_sync(_flush, stores, FORCED_FLUSH_S) and close_services:
            await anyio.to_thread.run_sync(_close, stores)  # nothing left to write: quick (telemetry flushed too)

    middleware = [
        Middleware(AccessLog, metrics=metrics),
        Middleware(LocalGuard, loopback=loopback, origins=settings.cors_origins, metrics=metrics),
    ]
    # CORS is always on for this machine's own pages (localhost, loopback, any port: the pages LocalGuard lets
    # through, as Ollama allows by default) plus the allow-list. Without it a page on localhost reached the
    # server but got 405 on its preflight and could not read a reply.
    middleware.append(
        Middleware(
            LocalPagesCORS,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=BROWSER_CLIENT_HEADERS,
            expose_headers=["X-Trace-Id", "Retry-After"],
        )
    )
    if settings.api_token is not None:
        middleware.append(Middleware(BearerAuth, token=settings.api_token.get_secret_value(), metrics=metrics))
    app = Starlette(
        routes=[*ollama.ROUTES, *openai.ROUTES, *native.ROUTES],
        middleware=middleware,
        exception_handlers={Problem: _problem, HTTPException: _http_error, Exception: _internal},
        lifespan=lifespan,
    )
    app.state.served = served
    app.state.forced_shutdown = forced_shutdown  # DrainingServer's, when a second Ctrl-C skips the lifespan's
    return app


async def _drained(runner: Runner, timeout: float) -> None:
    left = await runner.drain(timeout)
    if left:
        log.warning(
            "shutdown: %d withdrawn question(s) still in a model call after %.0f s; their traces are not written",
            left,
            timeout,
        )


def _flush(services: list[GuardedRAG], timeout: float = 30.0) -> bool:
    """Write every store's queued traces (within `timeout` each); False when one still has some queued."""
    written = True
    for store in {id(svc.traces): svc.traces for svc in services}.values():  # profiles share their default's
        if not store.flush(timeout):
            written = False
            log.error("shutdown: traces still queued for %s after the flush timeout", store.status().location)
    return written


def _close(services: list[GuardedRAG]) -> None:
    """Profiles first: one sharing its default's trace store and telemetry leaves them open; the default closes them."""
    for svc in reversed(services):
        try:
            svc.close()
        except Exception as exc:  # one service failing to close must not keep the others' traces from being written
            log.error("shutdown: closing a served model failed: %s: %s", type(exc).__name__, exc)


def _warm(svc: GuardedRAG) -> None:
    try:
        svc.is_index_empty()
        svc.backend()
        svc.preload()
    except Exception as exc:  # warming is an optimisation; /readyz reports what is wrong
        log.warning("warm-up failed: %s: %s", type(exc).__name__, exc)
    settle_heap()  # what warming built lives as long as the server: out of the full collections' way (app/process/heap.py)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    if exc.status == 413:
        request.app.state.served.metrics.rejected.labels(reason="too_large").inc()
    return error_response(request.url.path, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    return error_response(request.url.path, Problem(exc.status_code, str(exc.detail), code=code, headers=exc.headers))


async def _internal(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request.url.path, Problem(500, f"internal error ({type(exc).__name__}); see the server log"))
