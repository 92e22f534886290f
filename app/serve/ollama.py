"""Ollama's API (../shared/reference/ollama): the root heartbeat, /api/tags, /api/version, /api/ps, /api/show,
/api/chat and /api/generate, and a 404 that says so for the model-management endpoints. A thin adapter: the question
runs through exchange.start_chat like every other dialect's; its reply, streamed as NDJSON or not, is shaped by
ollama_reply.py.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.serve.errors import Problem
from app.serve.exchange import start_chat
from app.serve.ollama_reply import loaded, respond
from app.serve.parts import require_text
from app.serve.served import Served
from app.serve.wire import (
    OllamaChatRequest,
    OllamaGenerateRequest,
    chat_message,
    parse,
    reject_format,
    reject_logprobs,
)


def _served(request: Request) -> Served:
    served: Served = request.app.state.served
    return served


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
        return loaded(model, req.keep_alive, {"message": {"role": "assistant", "content": ""}})
    require_text(req.messages[-1].content, req.messages[-1].images)
    messages = [chat_message(m.role, m.content) for m in req.messages]
    pending = start_chat(served, messages, model=model, dialect="ollama", sampling=req.options)
    stream = req.stream is not False
    return await respond(request, pending, model, stream, lambda text: {"message": {"role": "assistant", "content": text}})


async def generate(request: Request) -> Response:
    served = _served(request)
    req = parse(OllamaGenerateRequest, await served.body(request))
    model = served.resolve(req.model)
    reject_format(req.format, "format")
    reject_logprobs(req.logprobs, req.top_logprobs)
    require_text(req.prompt, req.images)  # images and no prompt: a question this server cannot read, not a load
    if req.prompt == "":
        return loaded(model, req.keep_alive, {"response": ""})
    if not req.prompt.strip():
        raise Problem(400, "prompt is required", code="invalid_request")
    messages = [chat_message("system", req.system)] if req.system else []
    pending = start_chat(
        served, [*messages, chat_message("user", req.prompt)], model=model, dialect="ollama", sampling=req.options
    )
    return await respond(request, pending, model, req.stream is not False, lambda text: {"response": text})


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
