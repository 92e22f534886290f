"""The one flow every question takes through the HTTP service, whatever the dialect: size checks, the
transcript split (app.conversation), front-end task calls, option validation, admission, then the guarded
chain on a worker thread. The dialect modules only translate wire formats around it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from app import (
    AskOptions,
    AskResponse,
    ChatError,
    ChatMessage,
    ChatQuestion,
    GuardedRAG,
    Settings,
    Usage,
    fired_guardrails,
    from_chat,
    reply_text,
    stopping_guardrail,
    usage_of,
)
from app.serve.errors import Problem, json_type
from app.serve.health import BackendChecks
from app.serve.limits import check_messages, read_json
from app.serve.metrics import Metrics
from app.serve.runner import Busy, Job, Runner, ShuttingDown
from app.serve.tasks import task_reply
from guardrails import describe_validation

MODEL_NAME = "guarded-rag:latest"
_PROFILE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Client sampling options honoured per request; the rest (num_ctx, num_predict, ...) stay the operator's,
# since they decide memory and time per question.
CLIENT_OPTIONS = ("temperature", "seed")


def profile_model(name: str) -> str:
    """The model name a profile is served as: guarded-rag:<name>."""
    if not _PROFILE.match(name) or name == "latest":
        raise ValueError(f"invalid profile name {name!r}: use a-z, 0-9, '.', '_', '-' (and not 'latest')")
    return f"guarded-rag:{name}"


@dataclass(frozen=True)
class Served:
    """What the routes share: one service per served model (profile), the bounded runner, the metrics.
    The first model is the default profile; its settings govern serving (limits, token, CORS)."""

    services: Mapping[str, GuardedRAG]
    runner: Runner
    metrics: Metrics
    body_timeout: float = 60.0  # seconds a client has to send a request body (408 beyond)
    backend_checks: BackendChecks = field(default_factory=BackendChecks)  # /readyz without the token: a recent one

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.services)

    @property
    def svc(self) -> GuardedRAG:
        return next(iter(self.services.values()))

    @property
    def settings(self) -> Settings:
        return self.svc.settings

    async def body(self, request: Request) -> Any:
        """The request's JSON body, read within the size and time limits (413, 408, 400 otherwise)."""
        return await read_json(request, max_bytes=self.settings.max_body_kb * 1024, timeout=self.body_timeout)

    def resolve(self, name: object) -> str:
        """The served model a client named (Ollama's rule: no tag means ':latest'), or an Ollama-style 404.
        `name` comes from a JSON body as the client sent it: anything but a string is a 400."""
        if not name:
            raise Problem(400, "model is required", code="model_required")
        if not isinstance(name, str):
            raise Problem(400, f"model must be a string, not {json_type(name)}", code="invalid_request")
        wanted = _with_tag(name)
        if wanted in self.services:
            return wanted
        # Ollama's rule (server/routes.go getExistingName): an exact match first, else the name matched ignoring case,
        # so "Guarded-RAG" and "guarded-rag:LATEST" reach guarded-rag:latest as `ollama run Llama3` reaches llama3.
        folded = [served for served in self.services if served.casefold() == wanted.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise Problem(404, f"model '{name}' not found (served: {', '.join(self.models)})", code="model_not_found")


def _with_tag(name: str) -> str:
    """Ollama's rule: a name without a tag (after its last '/': a registry host may carry a port) means ':latest'."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


@dataclass(frozen=True)
class Reply:
    """What a dialect sends back: the reply text and what it knows about how it was made."""

    text: str
    status: str  # the AskResponse status, or "task" for a front-end task call
    trace_id: str | None
    error: str | None = None  # set: the request failed; sent as the dialect's error body
    usage: Usage = field(default_factory=Usage)
    latency_ms: float = 0.0
    guardrail: str | None = None  # the guardrail that refused or clarified (the one the reply text names)
    fired: tuple[str, ...] = ()  # every guardrail that fired on the question (each once)

    @classmethod
    def of(cls, resp: AskResponse, lang: str = "en") -> Reply:
        """`lang`: the question's ("zh" when it has Chinese characters), for the refusal's opening sentence."""
        stopping = stopping_guardrail(resp.status, resp.message, resp.guardrails)
        return cls(
            text=reply_text(resp, lang),
            status=resp.status,
            trace_id=resp.trace_id,
            error=(resp.message or "the request failed") if resp.status == "error" else None,
            usage=usage_of(resp),
            latency_ms=resp.latency_ms,
            guardrail=stopping.name if stopping is not None else None,
            fired=tuple(dict.fromkeys(g.name for g in fired_guardrails(resp.guardrails))),
        )

    def extra(self) -> dict[str, Any]:
        """The fields a reply carries beyond its dialect's: the `openai` client keeps them (`model_extra`); the
        `ollama` client, and so ChatOllama, drops them (the raw JSON and the X-Trace-Id header have them)."""
        return {
            "trace_id": self.trace_id,
            "answer_status": self.status,
            "guardrail": self.guardrail,
            "guardrails_fired": list(self.fired),
        }


@dataclass(frozen=True)
class Pending:
    """A question under way (`job`) or already answered (`ready`: a task call); `trace_id` is known now,
    before the answer, so a streamed reply can name it in its headers."""

    trace_id: str | None
    keepalive: float
    job: Job | None = None
    ready: Reply | None = None
    lang: str = "en"  # the question's language (reply_text's refusal sentence)

    async def ticks(self) -> AsyncGenerator[Reply | None, None]:
        """None at every keep-alive interval, then the Reply."""
        if self.job is None:
            yield self._ready()
            return
        try:
            async with aclosing(self.job.ticks(self.keepalive)) as ticks:
                async for item in ticks:
                    yield None if item is None else Reply.of(item, self.lang)
        except ShuttingDown:  # a stream has sent its headers: it ends with the dialect's error line, not a cut
            yield Reply(text="", status="error", trace_id=self.trace_id, error=self._stopped())

    async def result(self, request: Request) -> Reply:
        return self._ready() if self.job is None else Reply.of(await self.response(request), self.lang)

    async def response(self, request: Request) -> AskResponse:
        """The full AskResponse (the native API returns the CLI contract)."""
        if self.job is None:
            raise Problem(500, "no question was started", code="internal")
        try:
            return await self.job.result(request, self.keepalive)
        except ShuttingDown:
            raise Problem(503, self._stopped(), code="shutting_down", headers=trace_headers(self.trace_id)) from None

    def _stopped(self) -> str:
        return (
            "the server is shutting down and this answer was not finished in time; ask again when it is back "
            f"(trace {self.trace_id} records what was done)"
        )

    def _ready(self) -> Reply:
        return self.ready or Reply(text="", status="error", trace_id=None, error="nothing to answer")


def start_chat(
    served: Served,
    messages: Sequence[ChatMessage],
    *,
    model: str,
    dialect: str,
    sampling: dict[str, Any] | None = None,
) -> Pending:
    """Everything that can still fail with a status code fails here, before a response starts."""
    check_messages(messages, max_chars=served.settings.max_message_chars)
    try:
        chat = from_chat(messages)  # many system prompts are capped by the service (app.system_prompts)
    except ChatError as exc:
        raise Problem(400, str(exc), code="invalid_messages") from None
    task = task_reply(chat)
    if task is not None:
        served.metrics.tasks.labels(task=task.task).inc()
        return Pending(
            trace_id=None, keepalive=served.settings.keepalive, ready=Reply(text=task.text, status="task", trace_id=None)
        )
    return start_question(served, chat, model=model, dialect=dialect, sampling=sampling)


def start_question(
    served: Served, chat: ChatQuestion, *, model: str, dialect: str, sampling: dict[str, Any] | None = None
) -> Pending:
    overrides = {k: v for k, v in (sampling or {}).items() if k in CLIENT_OPTIONS and v is not None}
    for key, value in overrides.items():  # JSON numbers only: Settings would read `true` as 1 and "0.5" as 0.5
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Problem(400, f"invalid options: {key} must be a number, not {json_type(value)}", code="invalid_options")
    options = AskOptions(settings=overrides, session=f"http:{dialect}")
    svc, metrics = served.services[model], served.metrics
    try:
        svc.effective(options)
    except ValueError as exc:
        why = describe_validation(exc, whole="options", limit=1) if isinstance(exc, ValidationError) else str(exc)
        raise Problem(400, f"invalid options: {why}", code="invalid_options") from None
    trace_id = uuid.uuid4().hex

    def call(cancelled: Callable[[], bool]) -> AskResponse:
        resp = svc.ask_chat(chat, options=options, trace_id=trace_id, cancelled=cancelled)
        metrics.observe_answer(resp, dialect)
        return resp

    try:
        job = served.runner.submit(call)
    except Busy as exc:
        served.metrics.rejected.labels(reason="busy").inc()
        raise Problem(503, str(exc), code="server_busy", headers={"Retry-After": str(exc.retry_after)}) from None
    return Pending(trace_id=trace_id, keepalive=served.settings.keepalive, job=job, lang=chat.lang())


def trace_headers(trace_id: str | None) -> dict[str, str]:
    return {"X-Trace-Id": trace_id} if trace_id else {}
