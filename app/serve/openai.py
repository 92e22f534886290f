"""OpenAI's chat completions dialect: GET /v1/models (and /v1/models/{id}) and POST /v1/chat/completions, streamed
as server-sent events or not, with OpenAI's field names, usage and error bodies. A thin adapter over exchange.start_chat.

Streaming is hold-then-commit, as on the Ollama side: SSE comment lines (`: keep-alive`, which clients
skip) while the chain works, then the checked reply text, the finish chunk, usage if asked, `[DONE]`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.serve.errors import Problem, error_body
from app.serve.exchange import start_chat
from app.serve.parts import require_text
from app.serve.reply import Pending, Reply, trace_headers
from app.serve.runner import ClientGone
from app.serve.served import Served
from app.serve.wire import (
    OpenAIChatRequest,
    chat_message,
    parse,
    reject_forced_tool,
    reject_format,
    reject_logprobs,
)

SSE = "text/event-stream"
log = logging.getLogger("guarded_rag.serve")


def _served(request: Request) -> Served:
    served: Served = request.app.state.served
    return served


def _model_entry(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "guarded-rag"}


async def models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [_model_entry(m) for m in _served(request).models]})


async def model(request: Request) -> Response:
    """GET /v1/models/{id}: the openai client's `models.retrieve` (Ollama's OpenAI layer serves it too)."""
    return JSONResponse(_model_entry(_served(request).resolve(request.path_params["model"])))


async def chat_completions(request: Request) -> Response:
    served = _served(request)
    req = parse(OpenAIChatRequest, await served.body(request))
    model = served.resolve(req.model)
    if req.response_format and req.response_format.get("type") not in (None, "text"):
        reject_format(req.response_format, "response_format")
    reject_forced_tool(req.tool_choice, req.function_call)
    reject_logprobs(req.logprobs, req.top_logprobs)
    if req.n not in (None, 1):
        raise Problem(400, "n must be 1: one guarded answer per question", code="invalid_request")
    if req.messages:
        require_text(req.messages[-1].content)
    messages = [chat_message(m.role, m.content) for m in req.messages]
    sampling = {"temperature": req.temperature, "seed": req.seed}
    pending = start_chat(served, messages, model=model, dialect="openai", sampling=sampling)
    completion_id = f"chatcmpl-{pending.trace_id or uuid.uuid4().hex}"
    headers = trace_headers(pending.trace_id)
    if req.stream:
        usage = bool((req.stream_options or {}).get("include_usage"))
        return StreamingResponse(_stream(pending, model, completion_id, usage), media_type=SSE, headers=headers)
    try:
        reply = await pending.result(request)
    except ClientGone:
        return Response(status_code=499, headers=headers)  # the access log names the withdrawn trace
    if reply.error is not None:  # the chain ran, failed and is traced: the openai SDK would retry a 500 unless told not to
        raise Problem(500, reply.error, code="answer_failed", headers=headers | {"x-should-retry": "false"})
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": reply.text}, "finish_reason": "stop", "logprobs": None}
            ],
            "usage": _usage(reply),
            "system_fingerprint": None,
            **reply.extra(),  # trace_id, answer_status, guardrail, guardrails_fired: the openai client keeps them
        },
        headers=headers,
    )


async def _stream(pending: Pending, model: str, completion_id: str, include_usage: bool) -> AsyncIterator[bytes]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return _event(body)

    try:
        async for reply in pending.ticks():
            if reply is None:
                yield b": keep-alive\n\n"
                continue
            if reply.error is not None:
                yield _stream_error(reply.error, "answer_failed", reply.trace_id)
                break
            yield chunk({"role": "assistant", "content": ""})
            for piece in reply.text.splitlines(keepends=True):
                yield chunk({"content": piece})
            yield chunk({}, "stop", **reply.extra())
            if include_usage:
                yield _event(
                    {
                        "id": completion_id,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": _usage(reply),
                    }
                )
    except Exception as exc:  # the headers are sent: the client learns of it in the stream, never as a cut connection
        log.exception("unhandled error while streaming %s", pending.trace_id, exc_info=exc)
        yield _stream_error(f"internal error ({type(exc).__name__}); see the server log", "internal", pending.trace_id)
    yield b"data: [DONE]\n\n"  # however the stream went: clients (and proxies) wait for it


def _stream_error(message: str, code: str, trace_id: str | None) -> bytes:
    """OpenAI's mid-stream error event (the openai library raises APIError on it), naming the trace as the Ollama
    dialect's error line does (`trace_id` beside `error`)."""
    return _event(error_body("/v1/chat/completions", 500, message, code) | {"trace_id": trace_id})


def _usage(reply: Reply) -> dict[str, int]:
    u = reply.usage
    return {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.prompt_tokens + u.completion_tokens,
    }


def _event(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"


# OpenAI endpoints clients call that this server does not have: the Responses API (the default of newer SDK helpers
# and agent frameworks), legacy completions, embeddings. A 404 that says what is served, not a bare "Not Found".
UNSERVED = ("/v1/responses", "/v1/completions", "/v1/embeddings")


async def unserved(request: Request) -> Response:
    raise Problem(
        404,
        f"{request.url.path} is not served here: guarded-rag answers questions over chat completions only "
        "(POST /v1/chat/completions)",
        code="not_found",
    )


ROUTES = [
    Route("/v1/models", models, methods=["GET"]),
    Route("/v1/models/{model}", model, methods=["GET"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    *(Route(path, unserved, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]) for path in UNSERVED),
]
