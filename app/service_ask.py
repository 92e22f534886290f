"""The ask path: one question (or a chat client's transcript) answered under the request's options, every outcome
a typed AskResponse whose trace is queued for the background writer. What runs inside the request is
app/asking.py's RequestRunner; this is what surrounds it (options, backend, trace id, error typing, persisting)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from app.asking import OLLAMA_RUNGS, error_result, host_event
from app.contract import AskOptions, AskResponse, to_response
from app.conversation import ChatQuestion
from app.documents.index_types import EmbedderMismatchError
from app.models.chaos import ChaosConfig
from app.models.pool_transport import HOST_LOG, HostLog
from app.retrieval import RetrievalFailed
from app.service_models import ModelAccess
from app.settings import SettingsError
from app.traces import TraceInputs
from chains import QARequest, TraceCollector, TraceEvent
from guardrails import PolicyError, Turn

Observer = Callable[[TraceEvent], None]


# What a request may legitimately fail with, as a typed `error` result: invalid options, settings or policy,
# an index built by another embedder, and the index or the embedder not answering. Anything else is a bug.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    ValidationError,
    SettingsError,
    PolicyError,
    EmbedderMismatchError,
    RetrievalFailed,
)


class Asking(ModelAccess):
    """ask() and ask_chat(): never raise for bad input, a bad model or a broken backend (only once closed)."""

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        options: AskOptions | None = None,
        observer: Observer | None = None,
        on_token: Callable[[str], None] | None = None,
        system: Sequence[str] = (),
        trace_id: str | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> AskResponse:
        """Answer one question. Never raises for bad input, a bad model or a broken backend: every outcome
        is a typed AskResponse with a trace, persisted under a trace_id.

        `system`: a client's own system prompts (HTTP chat APIs): recorded in the trace and screened by the
        prompt_injection guardrail, never sent to the model. `trace_id`: chosen by a caller that must name
        the trace before the answer exists (a streamed HTTP reply's headers). `cancelled`: asked before
        every model call; once true, no further model call starts (the client went away). Raises
        ServiceClosedError after close() (a request already under way then still finishes and keeps its trace)."""
        self._require_open("ask()")
        started = time.perf_counter()
        trace_id = trace_id or self._ids.next()
        options = options or AskOptions()
        collector = TraceCollector(observer=observer, on_token=on_token)
        settings, choice, chaos, policy = self.settings, None, None, None
        hosts = HostLog(on_event=lambda host, outcome, detail: host_event(collector, host, outcome, detail))
        log_token = HOST_LOG.set(hosts)  # the pool transport reports here (app/models/pool_transport.py)
        interrupted: BaseException | None = None
        try:
            settings, policy = self.effective(options)
            choice = self.backend(settings=settings)
            collector.add(
                TraceEvent(
                    step="backend",
                    name="backend",
                    outcome="ok",
                    reason=choice.reason,
                    model=choice.model,
                    details={"kind": choice.kind, "fix": choice.fix, "host": choice.host},
                )
            )
            chaos = ChaosConfig.model_validate(options.chaos) if options.chaos else None
            screened = self._runner.screen_system(system, policy, collector) if system else None
            request = QARequest(question=question, history=tuple(history))
            result = screened or self._runner.run(request, settings, policy, choice, chaos, collector, cancelled)
        except EXPECTED_ERRORS as exc:
            result = error_result(collector, f"{exc}")
        except Exception as exc:  # a bug: the user gets a typed result and a trace id, tests get the exception
            if self.reraise_bugs:
                raise
            where = tuple(line.strip()[:300] for line in traceback.format_tb(exc.__traceback__)[-4:])  # for whoever fixes it
            result = error_result(
                collector, f"internal error ({type(exc).__name__}: {str(exc)[:300]}); see trace {trace_id}", evidence=where
            )
        except BaseException as exc:  # the caller stopped the request (Ctrl-C, a UI framework ending the run): the
            interrupted = exc  # trace is still kept, marked as such, and the stop goes on up unchanged
            collector.detach()
            result = error_result(
                collector, f"interrupted: the caller stopped the request before it finished ({type(exc).__name__})"
            )
        finally:
            HOST_LOG.reset(log_token)
        if cancelled is not None and cancelled():  # e.g. an HTTP client that disconnected (Stop in a chat UI)
            collector.add(
                TraceEvent(
                    step="result",
                    name="caller_gone",
                    outcome="skipped",
                    reason="the caller went away before the answer was delivered",
                )
            )
            result = result.model_copy(update={"events": tuple(collector.events)})
        backend = choice.kind if choice else ("embedded" if settings.backend == "embedded" else "ollama")
        response = to_response(
            result,
            backend=backend,
            model=choice.model if choice else settings.model,
            trace_id=trace_id,
            latency_ms=(time.perf_counter() - started) * 1000,
            backend_reason=choice.reason if choice else "",
            backend_fix=choice.fix if choice else None,
            chaos=chaos is not None,
            host=(hosts.answered or choice.host) if choice and choice.kind == "ollama" and result.rung in OLLAMA_RUNGS else None,
        )
        self._persist(question, response, options.session, TraceInputs(policy=policy, captures=tuple(collector.inputs)))
        if interrupted is not None:
            raise interrupted
        return response

    def ask_chat(
        self,
        chat: ChatQuestion,
        *,
        options: AskOptions | None = None,
        observer: Observer | None = None,
        on_token: Callable[[str], None] | None = None,
        trace_id: str | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> AskResponse:
        """A question from a client that keeps its own transcript (app.conversation.from_chat). Its history
        was never checked here, so the prompt_injection guardrail scans it like the question."""
        options = options or AskOptions()
        try:
            _, policy = self.effective(options)
        except (ValueError, PolicyError):
            policy = None  # ask() reports bad options as a typed error with a trace
        # is_enabled, not "listed": a policy file that leaves prompt_injection out still runs it with its defaults
        if policy is not None and policy.is_enabled("prompt_injection"):
            scan = {**options.guardrails.get("prompt_injection", {}), "scan_history": True}
            options = options.model_copy(update={"guardrails": {**options.guardrails, "prompt_injection": scan}})
        return self.ask(
            chat.question,
            history=chat.history,
            options=options,
            observer=observer,
            on_token=on_token,
            system=chat.system,
            trace_id=trace_id,
            cancelled=cancelled,
        )

    def _persist(self, question: str, response: AskResponse, session: str | None, inputs: TraceInputs) -> None:
        # The record is built on the trace writer's thread: dumping the result and the inputs is off the request path too.
        created = datetime.now(UTC)
        self.traces.save(lambda: self._recorder.record(question, response, session, created, inputs))
