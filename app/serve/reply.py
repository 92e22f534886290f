"""What a question becomes in the HTTP service: `Pending` (under way, its trace id known before the answer) and the
`Reply` a dialect sends back (the text and what is known about how it was made), with the trace header.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from app import AskResponse, Usage, fired_guardrails, reply_text, stopping_guardrail, usage_of
from app.serve.errors import Problem
from app.serve.runner import Job, ShuttingDown


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
    def of(cls, resp: AskResponse, lang: str = "en", label: Callable[[str], str] | None = None) -> Reply:
        """`lang`: the question's ("zh" when it has Chinese characters), for the refusal's opening sentence;
        `label`: how a cited source reads (the service's `source_label`: never a server path)."""
        stopping = stopping_guardrail(resp.status, resp.message, resp.guardrails)
        return cls(
            text=reply_text(resp, lang, label=label),
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
    label: Callable[[str], str] | None = None  # how a cited source reads (GuardedRAG.source_label, as the UI shows it)

    async def ticks(self) -> AsyncGenerator[Reply | None, None]:
        """None at every keep-alive interval, then the Reply."""
        if self.job is None:
            yield self._ready()
            return
        try:
            async with aclosing(self.job.ticks(self.keepalive)) as ticks:
                async for item in ticks:
                    yield None if item is None else Reply.of(item, self.lang, self.label)
        except ShuttingDown:  # a stream has sent its headers: it ends with the dialect's error line, not a cut
            yield Reply(text="", status="error", trace_id=self.trace_id, error=self._stopped())

    async def result(self, request: Request) -> Reply:
        return self._ready() if self.job is None else Reply.of(await self.response(request), self.lang, self.label)

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


def trace_headers(trace_id: str | None) -> dict[str, str]:
    return {"X-Trace-Id": trace_id} if trace_id else {}
