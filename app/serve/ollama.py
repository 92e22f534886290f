"""Ollama's API (../shared/reference/ollama): the root heartbeat, /api/tags, /api/version, /api/ps, /api/show,
/api/chat and /api/generate, streamed as NDJSON or not, with Ollama's field names, done_reason, token counts and error
bodies. A thin adapter: the question runs through exchange.start_chat like every other dialect's.

Streaming is hold-then-commit: while the chain works, empty keep-alive chunks (`"content": ""`) go out;
the reply text is sent only once GuardedRAG.ask has returned, i.e. after every output check passed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from app import json_line
from app.serve.errors import Problem
from app.serve.exchange import Pending, Reply, Served, start_chat, trace_headers
from app.serve.runner import ClientGone
from app.serve.wire import (
    OllamaChatRequest,
    OllamaGenerateRequest,
    chat_message,
    parse,
    reject_format,
    reject_logprobs,
    require_text,
)

NDJSON = "application/x-ndjson"
log = logging.getLogger("guarded_rag.serve")
Shape = Callable[[str], dict[str, Any]]  # content -> the dialect's message part ({"message": ...} or {"response": ...})


def _served(request: Request) -> Served:
    served: Served = request.app.state.served
    return served


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _version() -> str:
    try:
        return metadata.version("guarded-rag")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _model_entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": "2025-01-01T00:00:00Z",
        "size": 0,
        "digest": "0" * 64,
        "details": {
            "parent_model": "",
            "format": "guarded-rag",
            "family": "guarded-rag",
            "families": ["guarded-rag"],
            "parameter_size": "",
            "quantization_level": "",
        },
    }


async def tags(request: Request) -> Response:
    return JSONResponse({"models": [_model_entry(m) for m in _served(request).models]})


OLLAMA_API_VERSION = "0.12.0"
"""What /api/version reports: the Ollama API generation this server speaks (the shapes of
../shared/reference/ollama: structured outputs, thinking, tool-less chat), not guarded-rag's own version, which
rides along as `guarded_rag`. Clients gate on a minimum Ollama version (Raycast's Ollama extension and
Continue's Granite setup want 0.6.4 / 0.6.5) and refused this server when it reported guarded-rag's 0.1.0."""


async def version(request: Request) -> Response:
    return JSONResponse({"version": OLLAMA_API_VERSION, "guarded_rag": _version()})


async def ps(request: Request) -> Response:
    return JSONResponse({"models": []})  # nothing to unload from here; Open WebUI asks and carries on


async def show(request: Request) -> Response:
    served = _served(request)
    body = await served.body(request)
    if not isinstance(body, dict):
        raise Problem(400, "the request body must be a JSON object", code="invalid_request")
    name = served.resolve(body.get("model") or body.get("name"))
    entry = _model_entry(name)
    return JSONResponse(
        {
            "modelfile": "",
            "parameters": "",
            "template": "",
            "details": entry["details"],
            "model_info": {"general.architecture": "guarded-rag"},
            "capabilities": ["completion"],
            "modified_at": entry["modified_at"],
        }
    )


async def chat(request: Request) -> Response:
    served = _served(request)
    req = parse(OllamaChatRequest, await served.body(request))
    model = served.resolve(req.model)
    reject_format(req.format, "format")
    reject_logprobs(req.logprobs, req.top_logprobs)
    if not req.messages:
        return _loaded(model, req.keep_alive, {"message": {"role": "assistant", "content": ""}})
    require_text(req.messages[-1].content, req.messages[-1].images)
    messages = [chat_message(m.role, m.content) for m in req.messages]
    pending = start_chat(served, messages, model=model, dialect="ollama", sampling=req.options)
    stream = req.stream is not False
    return await _respond(request, pending, model, stream, lambda text: {"message": {"role": "assistant", "content": text}})


async def generate(request: Request) -> Response:
    served = _served(request)
    req = parse(OllamaGenerateRequest, await served.body(request))
    model = served.resolve(req.model)
    reject_format(req.format, "format")
    reject_logprobs(req.logprobs, req.top_logprobs)
    require_text(req.prompt, req.images)  # images and no prompt: a question this server cannot read, not a load
    if req.prompt == "":
        return _loaded(model, req.keep_alive, {"response": ""})
    if not req.prompt.strip():
        raise Problem(400, "prompt is required", code="invalid_request")
    messages = [chat_message("system", req.system)] if req.system else []
    pending = start_chat(
        served, [*messages, chat_message("user", req.prompt)], model=model, dialect="ollama", sampling=req.options
    )
    return await _respond(request, pending, model, req.stream is not False, lambda text: {"response": text})


_ZERO_DURATION = re.compile(r"\s*(?:0+(?:\.0*)?|\.0+)(?:ns|us|µs|ms|s|m|h)?\s*")


def _is_zero(keep_alive: Any) -> bool:
    """keep_alive 0 as Ollama reads it: a number of seconds, or a Go duration string ("0", "0s", "0m", "0h",
    "0ms", "0.0s"), all meaning unload now."""
    if isinstance(keep_alive, bool):
        return False
    if isinstance(keep_alive, int | float):
        return keep_alive == 0
    return isinstance(keep_alive, str) and _ZERO_DURATION.fullmatch(keep_alive) is not None


def _loaded(model: str, keep_alive: Any, part: dict[str, Any]) -> JSONResponse:
    """Ollama's reply to a request with nothing to answer: its clients send one to load a model (`ollama run`
    before the first prompt) or, with keep_alive 0, to unload it. The answering model here loads with the
    server, so there is nothing to do but say so; no question, so no trace."""
    unload = _is_zero(keep_alive)
    return JSONResponse(
        {"model": model, "created_at": _now(), **part, "done": True, "done_reason": "unload" if unload else "load"}
    )


async def _respond(request: Request, pending: Pending, model: str, stream: bool, shape: Shape) -> Response:
    headers = trace_headers(pending.trace_id)
    if stream:
        return StreamingResponse(_stream(pending, model, shape), media_type=NDJSON, headers=headers)
    try:
        reply = await pending.result(request)
    except ClientGone:
        return Response(status_code=499, headers=headers)  # the access log names the withdrawn trace
    if reply.error is not None:
        raise Problem(500, reply.error, code="answer_failed", headers=headers)
    return JSONResponse(_final(model, reply, shape(reply.text)), headers=headers)


async def _stream(pending: Pending, model: str, shape: Shape) -> AsyncIterator[bytes]:
    try:
        async for reply in pending.ticks():
            if reply is None:
                yield _line({"model": model, "created_at": _now(), **shape(""), "done": False})
                continue
            if reply.error is not None:
                yield _line(_stream_error(model, reply, shape))
                return
            for piece in reply.text.splitlines(keepends=True):
                yield _line({"model": model, "created_at": _now(), **shape(piece), "done": False})
            yield _line(_final(model, reply, shape("")))
    except Exception as exc:  # the headers are sent: the client learns of it in the stream, never as a cut connection
        log.exception("unhandled error while streaming %s", pending.trace_id, exc_info=exc)
        failed = Reply(
            text="", status="error", trace_id=pending.trace_id, error=f"internal error ({type(exc).__name__}); see the server log"
        )
        yield _line(_stream_error(model, failed, shape))


def _final(model: str, reply: Reply, part: dict[str, Any]) -> dict[str, Any]:
    u = reply.usage
    return {
        "model": model,
        "created_at": _now(),
        **part,
        "done": True,
        "done_reason": "stop",
        "total_duration": int(reply.latency_ms * 1e6),
        "load_duration": int(u.load_ms * 1e6),
        "prompt_eval_count": u.prompt_tokens,
        "prompt_eval_duration": 0,
        "eval_count": u.completion_tokens,
        "eval_duration": int(u.model_ms * 1e6),
        **reply.extra(),  # trace_id, answer_status, guardrail, guardrails_fired: the ollama client drops them
    }


def _stream_error(model: str, reply: Reply, shape: Shape) -> dict[str, Any]:
    """Ollama's mid-stream error line (errors.mdx: `{"error": ...}`), which Ollama clients raise on, also
    carrying the message as labelled reply text and `done`: Open WebUI turns Ollama lines into OpenAI chunks
    from `message.content` alone and drops `error`, so the bare line showed its users an empty reply."""
    return {
        "model": model,
        "created_at": _now(),
        **shape(f"[error] {reply.error}"),
        "done": True,
        "error": reply.error,
        "trace_id": reply.trace_id,
        "answer_status": "error",
    }


def _line(obj: dict[str, Any]) -> bytes:
    return json_line(obj).encode() + b"\n"


async def heartbeat(_request: Request) -> Response:
    """Ollama's root answers 200 with a line of text: its CLI and clients use it as a heartbeat (HEAD /), and
    `curl host:11434` is how people check a server is up. The text is Ollama's own, to the byte: browser
    extensions and editor plug-ins detect a server by comparing it with "Ollama is running" (seen in several
    clients' source), and reported none when it read "guarded-rag is running". Which server it is rides in the
    X-Guarded-Rag header. Public like /healthz: it reveals nothing."""
    return PlainTextResponse("Ollama is running", headers={"X-Guarded-Rag": _version()})


# Ollama endpoints for managing and embedding with models: the served models are guarded-rag's own (nothing to pull,
# create, copy or delete) and it embeds for its own index only. A 404 that says so, not a bare "Not Found".
UNSERVED = ("/api/pull", "/api/push", "/api/create", "/api/copy", "/api/delete", "/api/embed", "/api/embeddings")


async def unserved(request: Request) -> Response:
    raise Problem(
        404,
        f"{request.url.path} is not served here: guarded-rag's models are served as they are (see /api/tags; "
        "nothing to pull, create, copy or delete) and it answers questions over /api/chat and /api/generate only",
        code="not_found",
    )


ROUTES = [
    *(Route(path, unserved, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]) for path in UNSERVED),
    Route("/", heartbeat, methods=["GET", "HEAD"]),
    Route("/api/tags", tags, methods=["GET"]),
    Route("/api/version", version, methods=["GET"]),
    Route("/api/ps", ps, methods=["GET"]),
    Route("/api/show", show, methods=["POST"]),
    Route("/api/chat", chat, methods=["POST"]),
    Route("/api/generate", generate, methods=["POST"]),
]
