"""Request bodies of the three dialects as pydantic models, and their messages as app ChatMessages.

Ollama and OpenAI add request fields over time and clients send many we do not use (Open WebUI sends
`tools` on every chat), so the dialect models ignore unknown fields, as Ollama itself does. The native API
is ours: its body is strict (extra="forbid").
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError

from app import ChatMessage, Turn
from app.serve.errors import Problem
from app.serve.parts import check_parts, text_of
from guardrails import describe_validation

_ROLES = {
    "system": "system",
    "developer": "developer",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
}


# JSON's own types for the scalars that steer a request: pydantic's lax mode read `"temperature": true` as 1.0 and
# `"stream": "no"` as false, where Ollama and OpenAI answer 400.
Number = Annotated[float, Strict()]  # an integer is a number too
Integer = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]
# Ollama (Go) reads a JSON null as the field's zero value: `"messages": null` or `"prompt": null` is a load request
# there, and was a 400 "Input should be a valid list" here.
NullIsEmptyList = BeforeValidator(lambda value: [] if value is None else value)
NullIsEmptyText = BeforeValidator(lambda value: "" if value is None else value)


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class OllamaMessage(_Wire):
    role: str
    content: str | None = ""
    images: list[str] | None = None


class OllamaChatRequest(_Wire):
    model: str = ""
    messages: Annotated[list[OllamaMessage], NullIsEmptyList] = Field(default_factory=list)
    stream: Flag | None = True  # null means the default, as in Ollama
    keep_alive: Any = None  # only read to tell a load (no messages) from an unload (keep_alive 0)
    format: Any = None
    options: dict[str, Any] | None = None
    tools: list[Any] | None = None  # accepted and ignored: answers are plain content, never tool calls
    logprobs: Flag | None = None  # only read to refuse it (reject_logprobs)
    top_logprobs: Integer | None = None


class OllamaGenerateRequest(_Wire):
    model: str = ""
    prompt: Annotated[str, NullIsEmptyText] = ""
    images: list[str] | None = None  # not read: only told apart from a load request (empty prompt, no images)
    system: str | None = None
    stream: Flag | None = True
    keep_alive: Any = None
    format: Any = None
    options: dict[str, Any] | None = None
    logprobs: Flag | None = None
    top_logprobs: Integer | None = None


class OpenAIMessage(_Wire):
    role: str
    # Each part a string or an object with a supported type (parts.py): `[5, null]` is a 400 naming part 0.
    content: Annotated[str | list[Any] | None, AfterValidator(check_parts)] = None


class OpenAIChatRequest(_Wire):
    model: str = ""
    messages: list[OpenAIMessage] = Field(default_factory=list)
    stream: Flag | None = False  # null: the default (not streamed)
    stream_options: dict[str, Any] | None = None
    temperature: Number | None = None
    seed: Integer | None = None
    n: Integer | None = None
    response_format: dict[str, Any] | None = None
    tools: list[Any] | None = None  # accepted and ignored, as on the Ollama side
    tool_choice: Any = None  # "auto" / "none" only: one that demands a tool call is a 400 (reject_forced_tool)
    function_call: Any = None  # the legacy spelling: "auto" / "none" only
    logprobs: Flag | None = None  # only read to refuse it (reject_logprobs)
    top_logprobs: Integer | None = None


class NativeAskRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str
    history: list[Turn] = Field(default_factory=list)
    model: str | None = Field(default=None, description="A served model (profile); default: the first.")
    trace: Flag = Field(default=False, description="Include the full trace events (as `ask --json --trace`).")


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any) -> M:
    if not isinstance(body, dict):
        raise Problem(400, "the request body must be a JSON object", code="invalid_request")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise Problem(
            400, f"invalid request: {describe_validation(exc, whole='body', limit=1)}", code="invalid_request"
        ) from None


def chat_message(role: str, content: str | list[Any] | None) -> ChatMessage:
    kind = _ROLES.get(role)
    if kind is None:
        raise Problem(400, f"invalid message role {role!r}: use system, user, assistant or tool", code="invalid_role")
    return ChatMessage(role=kind, content=text_of(content))


def reject_format(value: Any, field: str) -> None:
    if value not in (None, "", {}):
        raise Problem(
            400,
            f"`{field}` is not supported: guarded-rag answers in plain text (the answer, then its sources)",
            code="unsupported_format",
        )


def reject_logprobs(logprobs: bool | None, top_logprobs: int | None) -> None:
    """Token log probabilities cannot be given: the reply is text the service assembles after its checks (the answer,
    then its sources), not the tokens a model sampled. Ignoring the request (as this server did) left clients that
    asked for them reading `logprobs: null` and failing later (`choice.logprobs.content` on None); a 400 naming the
    field is what OpenAI answers for a model without them (code `unsupported_parameter`)."""
    if logprobs or top_logprobs:
        field = "logprobs" if logprobs else "top_logprobs"
        raise Problem(
            400,
            f"`{field}` is not supported: guarded-rag's reply is checked text (the answer, then its sources), not the "
            "model's tokens, so it has no token log probabilities; leave it out",
            code="unsupported_parameter",
        )


def reject_forced_tool(tool_choice: Any, function_call: Any) -> None:
    """A request that demands a tool call (`tool_choice` "required" or a named function; the legacy `function_call`
    naming one) cannot get one: the reply is always plain content. Ignoring the demand returned text to a client
    waiting for a call (structured output by function calling, a tool-calling agent), which then failed somewhere
    else without saying why; `tools` alone are still ignored, as documented."""
    for field, value in (("tool_choice", tool_choice), ("function_call", function_call)):
        if _demands_call(value):
            raise Problem(
                400,
                f"`{field}` {json.dumps(value, ensure_ascii=False)[:100]} demands a tool call, and guarded-rag never "
                'calls tools: it answers in plain text (the answer, then its sources); leave it out or use "auto"',
                code="unsupported_tool_choice",
            )


def _demands_call(choice: Any) -> bool:
    """Whether a tool choice forces a call: anything but absent, "auto" and "none" (and OpenAI's `allowed_tools`
    in mode "auto", which only narrows the tools the model may call)."""
    if choice in (None, "auto", "none"):
        return False
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        allowed = choice.get("allowed_tools")
        return not (isinstance(allowed, dict) and allowed.get("mode") == "auto")
    return True
