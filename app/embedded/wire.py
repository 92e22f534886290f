"""Ollama's wire format, as the embedded transport speaks it (see shared/reference/ollama/api.md).

Request bodies are validated with pydantic (lenient like Ollama's server: unknown fields ignored);
response bodies are built by small pure functions so the transport only routes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, overload

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from app.embedded.events import Finish, LoadReport
from app.embedded.gguf import ModelCard
from app.jsonline import line_safe
from guardrails import describe_validation

Endpoint = Literal["chat", "generate"]
NDJSON = "application/x-ndjson"
VERSION = "0.0.0-embedded"


class WireMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = ""
    images: list[str] | None = None
    tool_calls: list[dict[str, Any]] | None = None


class _Common(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str = Field(min_length=1)
    stream: bool = True
    format: Literal["", "json"] | dict[str, Any] | None = None
    options: dict[str, Any] | None = None
    keep_alive: float | str | None = None
    think: bool | str | None = None


class ChatBody(_Common):
    # Ollama (Go) reads `"messages": null` as no messages: a load request, not a 400
    messages: Annotated[list[WireMessage], BeforeValidator(lambda value: [] if value is None else value)] = Field(
        default_factory=list
    )
    tools: list[dict[str, Any]] | None = None


class GenerateBody(_Common):
    prompt: str | None = None
    system: str | None = None
    suffix: str | None = None
    raw: bool | None = None
    images: list[str] | None = None


class ShowBody(BaseModel):
    """/api/show's body: the model is `model`, or `name` from older clients (Ollama reads either)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str = Field(min_length=1)
    verbose: bool | None = None


class BodyError(ValueError):
    """The request body is not a valid Ollama request (answered with HTTP 400)."""


@overload
def parse_body(raw: bytes, kind: type[ShowBody]) -> ShowBody: ...
@overload
def parse_body(raw: bytes, kind: type[ChatBody] | type[GenerateBody]) -> ChatBody | GenerateBody: ...
def parse_body(raw: bytes, kind: type[ChatBody] | type[GenerateBody] | type[ShowBody]) -> ChatBody | GenerateBody | ShowBody:
    if not raw.strip():
        raise BodyError("missing request body")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BodyError(f"invalid JSON in request body: {exc}") from None
    if not isinstance(data, dict):
        raise BodyError("request body must be a JSON object")
    if kind is ShowBody and not data.get("model") and data.get("name"):  # the older field, as Ollama reads it
        data = {**data, "model": data["name"]}
    if not data.get("model"):
        raise BodyError("model is required")
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        raise BodyError(f"invalid {describe_validation(exc, whole='request body', limit=1)}") from None


def unsupported(body: ChatBody | GenerateBody, name: str) -> str | None:
    """Ollama's refusal for features this small text model lacks, or None."""
    if body.think:
        return f'"{name}" does not support thinking'
    if isinstance(body, ChatBody):
        if body.tools:
            return f"{name} does not support tools"
        if any(m.images for m in body.messages):
            return f"{name} does not support images"
        return None
    if body.images:
        return f"{name} does not support images"
    if body.raw or body.suffix:
        return f"{name} does not support raw prompts or suffix"
    return None


def now() -> str:
    return datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")


def error(message: str) -> dict[str, str]:
    return {"error": message}


def not_found(model: str) -> dict[str, str]:
    return error(f'model "{model}" not found, try pulling it first')


def _text(endpoint: Endpoint, content: str) -> dict[str, Any]:
    if endpoint == "chat":
        return {"message": {"role": "assistant", "content": content}}
    return {"response": content}


def piece(endpoint: Endpoint, model: str, content: str) -> dict[str, Any]:
    return {"model": model, "created_at": now(), **_text(endpoint, content), "done": False}


def final(endpoint: Endpoint, model: str, finish: Finish, content: str = "") -> dict[str, Any]:
    """The done line: empty content when streamed, the whole text when stream=false."""
    return {
        "model": model,
        "created_at": now(),
        **_text(endpoint, content),
        "done": True,
        "done_reason": finish.done_reason,
        "total_duration": finish.total_duration,
        "load_duration": finish.load_duration,
        "prompt_eval_count": finish.prompt_eval_count,
        "prompt_eval_duration": finish.prompt_eval_duration,
        "eval_count": finish.eval_count,
        "eval_duration": finish.eval_duration,
    }


def loaded(endpoint: Endpoint, model: str, report: LoadReport) -> dict[str, Any]:
    """Ollama's answer to an empty request (preload); load_duration is an addition Ollama omits."""
    return {
        "model": model,
        "created_at": now(),
        **_text(endpoint, ""),
        "done_reason": "load",
        "done": True,
        "load_duration": report.load_duration,
    }


_ZERO_DURATION = re.compile(r"\s*(?:0+(?:\.0*)?|\.0+)(?:ns|us|µs|ms|s|m|h)?\s*")


def unloads(keep_alive: float | str | None) -> bool:
    """keep_alive 0 as Ollama reads it (seconds, or a Go duration: "0", "0s", "0m", "0.0h"): unload the model once
    the request is done (at once for a request with nothing to answer)."""
    if isinstance(keep_alive, bool):
        return False
    if isinstance(keep_alive, int | float):
        return keep_alive == 0
    return isinstance(keep_alive, str) and _ZERO_DURATION.fullmatch(keep_alive) is not None


def unloaded(endpoint: Endpoint, model: str) -> dict[str, Any]:
    """Ollama's answer to an empty request with keep_alive 0: the model is unloaded."""
    return {"model": model, "created_at": now(), **_text(endpoint, ""), "done_reason": "unload", "done": True}


def ndjson_line(obj: dict[str, Any]) -> bytes:
    # line_safe: the ollama client reads the stream with httpx's iter_lines, which also ends a line at U+2028,
    # U+2029 and U+0085: a reply holding one was cut in two and read as a broken stream
    return line_safe(json.dumps(obj, ensure_ascii=False, separators=(",", ":"))).encode() + b"\n"


def _summary(card: ModelCard) -> dict[str, Any]:
    return {
        "name": card.name,
        "model": card.name,
        "size": card.size,
        "digest": card.digest,
        "details": card.details.model_dump(mode="json"),
    }


def tags(card: ModelCard) -> dict[str, Any]:
    return {"models": [{**_summary(card), "modified_at": card.modified_at}]}


def ps(card: ModelCard, n_ctx: int | None) -> dict[str, Any]:
    if n_ctx is None:
        return {"models": []}
    # "Never" unloads while the process lives; Ollama reports a far-future expiry for keep_alive=-1.
    entry = {**_summary(card), "expires_at": "2318-01-01T00:00:00Z", "size_vram": 0, "context_length": n_ctx}
    return {"models": [entry]}


def show(card: ModelCard, max_ctx: int | None) -> dict[str, Any]:
    return {
        "modelfile": f"# embedded model served by llama-cpp-python\nFROM {card.path}\n",
        "parameters": f"num_ctx {max_ctx}" if max_ctx else "",
        "template": _template(card),
        "details": card.details.model_dump(mode="json"),
        "model_info": _model_info(card),
        "capabilities": ["completion"],
        "modified_at": card.modified_at,
    }


NO_TEMPLATE = (
    "{{/* the GGUF has no chat template (tokenizer.chat_template): chats are formatted with llama-2's [INST] template "
    "by llama-cpp-python's fallback, which this model was probably not trained on */}}"
)


def _template(card: ModelCard) -> str:
    """What /api/show says of the prompt format: the GGUF's own template, or that llama-2's replaces a missing one."""
    return NO_TEMPLATE if card.chat_template is False else "{{ chat template from the GGUF }}"


def _model_info(card: ModelCard) -> dict[str, Any]:
    arch = card.details.family or "unknown"
    info: dict[str, Any] = {"general.architecture": arch, "general.file_size": card.size}
    if card.context_length:  # what Ollama's /api/show reports, and the ladder fits prompts to (app.models.info)
        info[f"{arch}.context_length"] = card.context_length
    return info
