"""Ollama's reply to a question, in its shapes: one JSON body or an NDJSON stream, with Ollama's field names,
done_reason, token counts and mid-stream error lines; and its reply to a load or unload request (nothing asked).

Streaming is hold-then-commit: while the chain works, empty keep-alive chunks (`"content": ""`) go out;
the reply text is sent only once GuardedRAG.ask has returned, i.e. after every output check passed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app import json_line
from app.serve.errors import Problem
from app.serve.reply import Pending, Reply, trace_headers
from app.serve.runner import ClientGone

NDJSON = "application/x-ndjson"
log = logging.getLogger("guarded_rag.serve")
Shape = Callable[[str], dict[str, Any]]  # content -> the dialect's message part ({"message": ...} or {"response": ...})


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


_ZERO_DURATION = re.compile(r"\s*(?:0+(?:\.0*)?|\.0+)(?:ns|us|µs|ms|s|m|h)?\s*")


def _is_zero(keep_alive: Any) -> bool:
    """keep_alive 0 as Ollama reads it: a number of seconds, or a Go duration string ("0", "0s", "0m", "0h",
    "0ms", "0.0s"), all meaning unload now."""
    if isinstance(keep_alive, bool):
        return False
    if isinstance(keep_alive, int | float):
        return keep_alive == 0
    return isinstance(keep_alive, str) and _ZERO_DURATION.fullmatch(keep_alive) is not None


def loaded(model: str, keep_alive: Any, part: dict[str, Any]) -> JSONResponse:
    """Ollama's reply to a request with nothing to answer: its clients send one to load a model (`ollama run`
    before the first prompt) or, with keep_alive 0, to unload it. The answering model here loads with the
    server, so there is nothing to do but say so; no question, so no trace."""
    unload = _is_zero(keep_alive)
    return JSONResponse(
        {"model": model, "created_at": _now(), **part, "done": True, "done_reason": "unload" if unload else "load"}
    )


async def respond(request: Request, pending: Pending, model: str, stream: bool, shape: Shape) -> Response:
    """The reply to a question: an NDJSON stream (hold-then-commit), or one body once it is answered."""
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
