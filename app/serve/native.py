"""guarded-rag's own endpoints: POST /v1/ask (exactly the `ask --json` contract), GET /v1/traces/{id} (the
stored trace, the same store the Traces page reads), /healthz, /readyz and Prometheus /metrics.
"""

from __future__ import annotations

import functools

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import TraceRecord, from_chat
from app.serve.errors import Problem
from app.serve.exchange import start_question
from app.serve.health import readiness
from app.serve.limits import check_messages
from app.serve.metrics import CONTENT_TYPE
from app.serve.middleware import AUTHORIZED
from app.serve.reply import trace_headers
from app.serve.runner import ClientGone
from app.serve.served import Served
from app.serve.wire import NativeAskRequest, chat_message, parse


def _served(request: Request) -> Served:
    served: Served = request.app.state.served
    return served


async def ask(request: Request) -> Response:
    served = _served(request)
    req = parse(NativeAskRequest, await served.body(request))
    turns = [chat_message(t.role, t.content) for t in req.history] + [chat_message("user", req.question)]
    check_messages(turns, max_chars=served.settings.max_message_chars)
    model = served.resolve(req.model or served.models[0])
    chat = from_chat(turns)  # the history the chat dialects get: its last turns, each cut to a turn's length
    pending = start_question(served, chat, model=model, dialect="native")
    try:
        resp = await pending.response(request)
    except ClientGone:
        return Response(status_code=499, headers=trace_headers(pending.trace_id))  # named in the access log
    return JSONResponse(resp.to_json_dict(with_trace=req.trace), headers=trace_headers(resp.trace_id))


async def trace(request: Request) -> Response:
    trace_id = request.path_params["trace_id"]
    record = await anyio.to_thread.run_sync(_find_trace, _served(request), trace_id)
    if record is None:
        raise Problem(404, f"no trace {trace_id!r}", code="trace_not_found")
    return JSONResponse(record.model_dump(mode="json"), headers=trace_headers(record.trace_id))


def _find_trace(served: Served, trace_id: str) -> TraceRecord | None:
    """Profiles share their default's trace store (GuardedRAG.derive); one with its own home has its own.
    The whole id only: the stores also answer a unique prefix (handy in the CLI), which over HTTP would let a
    client list every trace by trying 0-f."""
    stores = {id(svc.traces): svc.traces for svc in served.services.values()}
    found = (store.get(trace_id) for store in stores.values())
    return next((r for r in found if r is not None and r.trace_id == trace_id), None)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    served = _served(request)
    others = {name: svc for name, svc in served.services.items() if svc is not served.svc}
    authorized = bool(request.scope.get(AUTHORIZED, True))
    report = await anyio.to_thread.run_sync(
        functools.partial(readiness, served.svc, others, checks=served.backend_checks, fresh=authorized)
    )
    body = report.model_dump() if authorized else report.model_dump(include={"ready"})
    return JSONResponse(body, status_code=200 if report.ready else 503)


async def metrics(request: Request) -> Response:
    return Response(_served(request).metrics.render(), media_type=CONTENT_TYPE)


ROUTES = [
    Route("/v1/ask", ask, methods=["POST"]),
    Route("/v1/traces/{trace_id}", trace, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
