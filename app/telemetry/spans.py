"""What one stored request looks like as an OpenTelemetry trace, planned without the SDK: a root span for the
question and one child per trace event (guardrail checks, retrieval, model calls with GenAI attributes, parse
rungs, re-asks, fallbacks), with the events' own start and end times. Pure: a TraceRecord in, spans out.

Text (question, answer, model output, evidence, the retrieval query) is planned only when `export_text`;
reasons, scores, names, ids and counts always are. The reasons of the steps after the model (output checks, parse
rungs, re-asks, fallbacks, the result) quote the answer, the reply and passages after a colon ("numbers not found in
the cited passages: 98765", "... restates: “claim” vs “sentence”"): without text export each clause keeps its head.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from app.telemetry import semconv as sc
from app.traces import TraceRecord
from chains import TraceEvent

AttributeValue = str | bool | int | float | Sequence[str] | Sequence[float] | Sequence[int]
_HEX_ID = re.compile(r"[0-9a-f]{32}")
_REASON_CHARS = 300


@dataclass(frozen=True)
class SpanPlan:
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    kind: Literal["internal", "client"] = "internal"
    error: str | None = None  # set: the span's status is ERROR with this description


@dataclass(frozen=True)
class TracePlan:
    root: SpanPlan
    children: tuple[SpanPlan, ...]
    trace_id: int | None  # the app's trace id reused as the OTel trace id when it is 32 hex digits


def plan(record: TraceRecord, *, export_text: bool, default_host: str) -> TracePlan:
    children = []
    kind, host = "ollama", default_host  # which backend answers: the backend event says, fallbacks change it
    for event in record.events:
        if event.step == "backend":
            kind = str(event.details.get("kind") or kind)
            host = str(event.details.get("host") or host)
        elif event.step == "fallback" and event.name.startswith("rung:"):
            kind = "embedded" if event.name == "rung:embedded" else "ollama"
        children.append(_child(event, export_text=export_text, kind=kind, host=host))
    end = _ns(record.created_at)
    start = end - int(record.latency_ms * 1e6)
    if children:  # wall clock and perf counters differ by a hair: the root always spans its children
        start, end = min(start, *(c.start_ns for c in children)), max(end, *(c.end_ns for c in children))
    root = SpanPlan(
        name="guarded-rag ask",
        start_ns=start,
        end_ns=end,
        attributes=_root_attributes(record, export_text=export_text),
        error=_root_error(record, export_text=export_text),
    )
    return TracePlan(
        root=root, children=tuple(children), trace_id=int(record.trace_id, 16) if _HEX_ID.fullmatch(record.trace_id) else None
    )


def _root_error(record: TraceRecord, *, export_text: bool) -> str | None:
    """The root span's status description for an error: the result's message, which is text (guarded_rag.message
    is exported only with text export) and may quote what failed; without text export, as a reason is."""
    if record.status != "error":
        return None
    message = str(record.result.get("message") or "error")
    return message if export_text else (text_free(message)[:_REASON_CHARS] or "error")


def _root_attributes(record: TraceRecord, *, export_text: bool) -> dict[str, AttributeValue]:
    attrs: dict[str, Any] = {
        sc.OPENINFERENCE_SPAN_KIND: sc.KIND_CHAIN,
        sc.TRACE_ID: record.trace_id,
        sc.STATUS: record.status,
        sc.BACKEND: record.backend,
        sc.MODEL: record.model,
        sc.RUNG: record.rung,
        sc.LLM_CALLS: record.llm_calls,
        sc.LATENCY_MS: record.latency_ms,
        sc.FIRED: list(record.fired),
        sc.ORIGIN: record.origin,
        sc.GEN_AI_CONVERSATION_ID: record.session,
    }
    if export_text:
        answer = record.result.get("answer")
        attrs |= {
            sc.QUESTION: record.question,
            sc.INPUT_VALUE: record.question,
            sc.ANSWER: answer,
            sc.OUTPUT_VALUE: answer or record.result.get("message"),
            sc.MESSAGE: record.result.get("message"),
            sc.CLARIFYING_QUESTIONS: [str(q) for q in record.result.get("clarifying_questions") or []],
        }
    return _clean(attrs)


_QUOTING_STEPS = frozenset({"output", "parse", "fallback", "result"})
"""Steps whose reasons can quote the answer, the model's reply or a passage (a model call's reason is the server's
done_reason or error; input and retrieval reasons name patterns, families and scores)."""


# Quoted text in a reason: “…”, ‘…’, «…», 「…」, 『…』, `…`, and the '…' or "…" of a repr (a backslash escapes the
# quote inside it). A straight quote opens or closes only beside a non-word character: "question's" quotes nothing.
_QUOTED = re.compile(
    r"“[^”]*”|‘[^’]*’|«[^»]*»|「[^」]*」|『[^』]*』|`[^`]*`"
    r"|(?<!\w)'(?:[^'\\]|\\.)*'(?!\w)|(?<!\w)\"(?:[^\"\\]|\\.)*\"(?!\w)",
    re.DOTALL,
)
_OPEN_QUOTE = re.compile(r"[“‘«「『`]|(?<!\w)['\"]")  # a quote the reason's length cap cut before it closed


def text_free(reason: str) -> str:
    """A reason that may quote the answer, the reply or a passage, without them: quoted text becomes "…" (a quote
    left open: the rest is cut), and each "; " clause is cut at its first ": " (the details that follow are
    quotes). Quotes go first: a quoted "; " ("repetition loop: 'a; b' repeated") made the rest of the quote a
    clause of its own, exported whole, and a quote with no colon before it ("the answer is only the heading
    'Installing X' of the cited passage") was exported as it was."""
    unquoted = _QUOTED.sub("…", reason)
    if (open_quote := _OPEN_QUOTE.search(unquoted)) is not None:
        unquoted = unquoted[: open_quote.start()].rstrip()
    return "; ".join(clause.split(": ", 1)[0] for clause in unquoted.split("; "))


def _reason(event: TraceEvent, *, export_text: bool) -> str:
    """The event's reason as exported: whole with text export; else, for a step that quotes text, `text_free`."""
    if export_text or (event.step not in _QUOTING_STEPS and event.name != "reask"):
        return event.reason[:_REASON_CHARS]
    return text_free(event.reason)[:_REASON_CHARS]


def _child(event: TraceEvent, *, export_text: bool, kind: str, host: str) -> SpanPlan:
    end = _ns(event.at)
    start = end - int(event.duration_ms * 1e6)
    reason = _reason(event, export_text=export_text)
    attrs: dict[str, Any] = {
        sc.STEP: event.step,
        sc.SEQ: event.seq,
        sc.OUTCOME: event.outcome,
        sc.REASON: reason,
        sc.ATTEMPT: event.attempt,
    }
    if export_text and event.evidence:
        attrs[sc.EVIDENCE] = [str(e) for e in event.evidence]
    error = (reason or "error") if event.outcome == "error" else None
    d = event.details
    if "fail_mode" in d and "action" in d:  # a guardrail verdict (chains.trace.verdict_event)
        attrs |= {
            sc.OPENINFERENCE_SPAN_KIND: sc.KIND_GUARDRAIL,
            sc.GUARDRAIL_NAME: event.name,
            sc.GUARDRAIL_STAGE: event.step,
            sc.GUARDRAIL_FIRED: event.outcome == "fired",
            sc.GUARDRAIL_ACTION: d.get("action"),
            sc.GUARDRAIL_SCORE: d.get("score"),
            sc.GUARDRAIL_THRESHOLD: d.get("threshold"),
            sc.GUARDRAIL_FAIL_MODE: d.get("fail_mode"),
            sc.GUARDRAIL_ERRORED: bool(d.get("errored")),
        }
        return SpanPlan(f"guardrail {event.name}", start, end, _clean(attrs), error=error)
    if event.step == "retrieval":
        attrs |= {
            sc.OPENINFERENCE_SPAN_KIND: sc.KIND_RETRIEVER,
            sc.GEN_AI_OPERATION_NAME: sc.OPERATION_RETRIEVAL,
            sc.RETRIEVAL_K: d.get("k"),
            sc.RETRIEVAL_TOP_SCORES: [float(s) for s in d.get("scores") or []],
            sc.RETRIEVAL_CHUNK_IDS: [str(c) for c in d.get("chunk_ids") or []],
        }
        if export_text:
            attrs[sc.GEN_AI_RETRIEVAL_QUERY_TEXT] = d.get("query")
            attrs[sc.INPUT_VALUE] = d.get("query")
        return SpanPlan(sc.OPERATION_RETRIEVAL, start, end, _clean(attrs), error=error)
    if event.name == "model_call":
        return _model_call(event, attrs, start, end, export_text=export_text, kind=kind, host=str(d.get("host") or host))
    if event.step == "parse":
        attrs[sc.PARSE_RUNG] = d.get("rung")
    if event.step == "fallback":
        attrs[sc.FALLBACK_TO] = event.name
    if event.model:
        attrs[sc.MODEL] = event.model
    return SpanPlan(event.name, start, end, _clean(attrs), error=error)


def _model_call(
    event: TraceEvent, attrs: dict[str, Any], start: int, end: int, *, export_text: bool, kind: str, host: str
) -> SpanPlan:
    tokens = event.tokens or {}
    prompt, completion = tokens.get("prompt_eval_count"), tokens.get("eval_count")
    attrs |= {
        sc.OPENINFERENCE_SPAN_KIND: sc.KIND_LLM,
        sc.GEN_AI_OPERATION_NAME: sc.OPERATION_CHAT,
        sc.GEN_AI_PROVIDER_NAME: sc.PROVIDER_OLLAMA,
        sc.GEN_AI_REQUEST_MODEL: event.model,
        sc.LLM_MODEL_NAME: event.model,
        sc.GEN_AI_USAGE_INPUT_TOKENS: prompt,
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: completion,
        sc.LLM_TOKEN_COUNT_PROMPT: prompt,
        sc.LLM_TOKEN_COUNT_COMPLETION: completion,
        sc.LLM_TOKEN_COUNT_TOTAL: prompt + completion if prompt is not None and completion is not None else None,
        sc.BACKEND: kind,
    }
    if event.reason.startswith("done_reason="):
        attrs[sc.GEN_AI_RESPONSE_FINISH_REASONS] = [event.reason.removeprefix("done_reason=")]
    if kind == "ollama":  # the embedded engine runs in-process: there is no server to name
        address, port = _server(host)
        attrs |= {sc.SERVER_ADDRESS: address, sc.SERVER_PORT: port}
    error = None
    if event.outcome == "error":
        error = event.reason[:_REASON_CHARS] or "error"
        attrs[sc.ERROR_TYPE] = event.reason.split(":", 1)[0] or "error"
    if export_text and event.raw_output is not None:
        attrs[sc.OUTPUT_VALUE] = event.raw_output
    return SpanPlan(f"{sc.OPERATION_CHAT} {event.model or 'unknown'}", start, end, _clean(attrs), kind="client", error=error)


def _server(host: str) -> tuple[str | None, int | None]:
    try:
        parts = urlsplit(host if "://" in host else "http://" + host)
        return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None, None


def _ns(at: datetime) -> int:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1e9)


def _clean(attrs: dict[str, Any]) -> dict[str, AttributeValue]:
    """OTel attributes take no None; an empty list says nothing either."""
    return {k: v for k, v in attrs.items() if v is not None and v != []}
