"""The one flow every question takes through the HTTP service, whatever the dialect: size checks, the
transcript split (app.conversation), front-end task calls, option validation, admission, then the guarded
chain on a worker thread. The dialect modules only translate wire formats around it. What the routes share is
served.py; what a question becomes (`Pending`, its `Reply`), reply.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from app import AskOptions, AskResponse, ChatError, ChatMessage, ChatQuestion, from_chat
from app.serve.errors import Problem, json_type
from app.serve.limits import check_messages
from app.serve.reply import Pending, Reply
from app.serve.runner import Busy
from app.serve.served import Served
from app.serve.tasks import task_reply
from guardrails import describe_validation

# Client sampling options honoured per request; the rest (num_ctx, num_predict, ...) stay the operator's,
# since they decide memory and time per question.
CLIENT_OPTIONS = ("temperature", "seed")


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
    return Pending(trace_id=trace_id, keepalive=served.settings.keepalive, job=job, lang=chat.lang(), label=svc.source_label)
