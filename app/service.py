"""The service: the one Python API behind the CLI, the Streamlit app, the lab and the tests (ask, search,
ingest, documents, traces, backend status, raw model access for experiments).

Composition root: builds guardrails, index, models and the chain from Settings. Callers never reach
through its attributes into the parts; what they need is a method here.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import ValidationError

from app.asking import OLLAMA_RUNGS, RequestRunner, error_result, host_event
from app.components import Components
from app.contract import AskOptions, AskResponse, to_response
from app.conversation import ChatQuestion
from app.documents.embeddings import IdentifiedEmbeddings
from app.documents.index_types import DocumentInfo, EmbedderMismatchError, IndexStats
from app.documents.ingest import indexed_from, ingest_paths
from app.documents.ingest_types import IngestProgress, IngestReport
from app.documents.integrity import IndexIntegrity
from app.documents.uploads import DocumentRemoval, UploadFolder, UploadIngest
from app.ids import TraceIds
from app.models.backend import BackendChoice, OllamaProbe, choose_backend, probe_ollama
from app.models.chaos import ChaosConfig
from app.models.factory import TRANSPORT_ERRORS, BackendKind, ChatModelFactory, ModelFactory, PreloadResult
from app.models.pool import HostStatus
from app.models.pool_transport import HOST_LOG, HostLog
from app.recording import TraceRecorder
from app.retrieval import RetrievalFailed
from app.settings import Settings, SettingsError
from app.signals.input_detectors import DetectorStatus
from app.telemetry import Telemetry, TelemetryStatus, start_telemetry, telemetry_off
from app.traces import TraceInputs, TraceStore, open_trace_backend
from chains import (
    AnswerPrompt,
    GenerationLadder,
    QARequest,
    Screened,
    TraceCollector,
    TraceEvent,
    answer_prompt,
    screen_qa,
    short_error,
    with_signals,
)
from chains.screening import Screen
from guardrails import (
    Chunk,
    GuardContext,
    GuardrailPolicy,
    PolicyError,
    Turn,
    Verdict,
    kept_chunks,
    load_policy,
    removes_passages,
    run_guardrail,
)
from guardrails.context_injection import ContextInjectionGuardrail
from guardrails.input_size import InputSizeGuardrail
from guardrails.relevance import RelevanceGuardrail

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


class ServiceClosedError(RuntimeError):
    """A GuardedRAG used after close() for what close() released: its trace writer (ask) or its models."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} on a closed GuardedRAG: close() stopped its trace writer and freed its models; create a new "
            "GuardedRAG (or close it only when done)"
        )


@dataclass(frozen=True)
class ModelRef:
    """Which model answers a question: the backend kind and the model name as that backend knows it."""

    kind: BackendKind
    model: str


@dataclass(frozen=True)
class RawAnswer:
    """One raw model call with the app's prompt: no guardrails, no parse ladder, no retries."""

    text: str | None
    prompt: AnswerPrompt
    model: str
    latency_ms: float
    error: str | None = None


class GuardedRAG:
    """One instance per process (the UI caches it); per-request state lives in the request, not here."""

    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: IdentifiedEmbeddings | None = None,
        factory: ChatModelFactory | None = None,
        choose: Callable[[Settings], BackendChoice] = choose_backend,
        transport_errors: tuple[type[BaseException], ...] = TRANSPORT_ERRORS,
        reraise_bugs: bool = False,
        telemetry: Telemetry | None = None,
        traces: TraceStore | None = None,
    ) -> None:
        """`reraise_bugs` (tests): an unexpected exception propagates instead of becoming an `error` result, so
        a bug in a guardrail or an exhausted scripted fake fails the test that caused it. `traces`: another
        service's store for the same database (`derive`), shared and left open by `close()`."""
        self.settings = settings
        self.reraise_bugs = reraise_bugs
        self.policy: GuardrailPolicy = load_policy(settings.policy) if settings.policy else load_policy()
        self._parts = Components(settings, embeddings=embeddings, factory=factory, choose=choose)
        self._transport_errors = transport_errors
        self._runner = RequestRunner(
            self._parts, transport_errors, ollama_host=settings.ollama_host, redact_questions=settings.redact_questions
        )
        self._integrity: tuple[object, IndexIntegrity] | None = None
        self._lock = threading.RLock()
        self._closed = False
        self._ids = TraceIds()
        self._recorder = TraceRecorder(
            origin=f"{socket.gethostname()}/{os.getpid()}",
            redact_questions=settings.redact_questions,
            inputs_kb=settings.trace_inputs_kb,
        )
        # OpenTelemetry only when an OTLP endpoint is set (else None: the SDK is not imported). Spans are made
        # from each trace after the store saved it, on its writer thread: a request never waits for export.
        self._owns_telemetry = telemetry is None
        self._telemetry = telemetry if telemetry is not None else start_telemetry(settings)
        self._owns_traces = traces is None
        try:
            self.traces = traces or TraceStore(
                open_trace_backend(settings.trace_url or settings.trace_db),
                on_saved=self._telemetry.export if self._telemetry is not None else None,
                dead_letter=settings.rejected_traces,  # a record the trace backend refuses (never retried)
            )
        except BaseException:  # the store cannot be opened: the exporter started above is this service's to stop
            if self._owns_telemetry and self._telemetry is not None:
                self._telemetry.close()
            raise

    # -- parts ----------------------------------------------------------------------------------------
    def input_detectors(self) -> tuple[DetectorStatus, ...]:
        """Build or load the semantic input detectors now (seconds the first time per home), so the first
        question does not wait for it: what each learned from, or why it is unavailable (doctor reports it).
        Empty when the embedder is not one their thresholds were calibrated for."""
        return self._parts.input_detectors()

    def warm_up(self) -> None:
        """Build every lazily built part now, once (the UI calls it when it creates the shared service, so the
        first sessions asking at once find them built). Cheap parts only: models load on their first call."""
        self._require_open("warm_up()")
        self._parts.warm_up(self.policy)

    # -- backend and models -----------------------------------------------------------------------------
    def backend(self, *, refresh: bool = False, settings: Settings | None = None) -> BackendChoice:
        """Which backend answers and why. Ollama is probed once per (backend, host, model) and the answer
        kept; `refresh=True` probes again (doctor, the Settings page)."""
        return self._parts.backend(refresh=refresh, settings=settings)

    def answering_model(self, settings: Settings | None = None) -> ModelRef:
        """The one place that says which model answers: the embedded engine's name, or the Ollama model
        the probe resolved (it may be an installed variant of the configured name). `settings` may differ from the
        service's only in REQUEST_FIELDS (else SettingsError): the embedded engine is the service's own."""
        settings = self._request_settings(settings)
        choice = self.backend(settings=settings)
        if choice.kind == "embedded":
            return ModelRef(kind="embedded", model=self._parts.model_factory().embedded_model_name)
        return ModelRef(kind="ollama", model=choice.model)

    def chat_model(
        self, *, format: dict[str, Any] | str | None = None, timeout: float | None = None, settings: Settings | None = None
    ) -> BaseChatModel:
        """The ChatOllama the app answers with, built by its own factory (for experiments and raw calls); with
        `settings` (a session's, from `effective`), the model and sampling those settings choose."""
        self._require_open("chat_model()")
        s = self._request_settings(settings)
        ref = self.answering_model(s)
        return self._parts.model_factory().chat_model(
            ref.kind, ref.model, timeout=timeout or s.timeout, format=format, settings=s
        )

    def fresh_chat_model(
        self, *, format: dict[str, Any] | str | None = None, timeout: float | None = None, settings: Settings | None = None
    ) -> BaseChatModel | None:
        """The answering model (of `settings`, else the service's), not loaded yet: a new embedded engine, or Ollama
        told to unload the model first (the latency experiment's cold calls). None when this backend cannot do that."""
        self._require_open("fresh_chat_model()")
        s = self._request_settings(settings)
        ref = self.answering_model(s)
        factory = self._parts.model_factory().fresh(ref.kind, ref.model, settings=s)
        if factory is None:
            return None
        return factory.chat_model(ref.kind, ref.model, timeout=timeout or s.timeout, format=format, settings=s)

    def embedded_generation_problem(self) -> str | None:
        """Whether llama.cpp can generate on this machine, asked in a child process (a crash there cannot take
        this process down): None when it can, else the problem in one line (doctor). Seconds: it loads the model."""
        from app.embedded.gguf import locate_gguf
        from app.embedded.selftest import generation_problem

        return generation_problem(locate_gguf(self.settings.gguf), threads=self.settings.threads)

    def preload(self) -> PreloadResult:
        """Load the answering model now (under the long load timeout), so later timings exclude the load."""
        self._require_open("preload()")
        ref = self.answering_model()
        return self._parts.model_factory().preload(ref.kind, ref.model, self.settings.load_timeout)

    def ollama_hosts(self) -> tuple[HostStatus, ...]:
        """The Ollama pool's hosts as this process sees them (state, in flight, answered); empty with one host."""
        factory = self._parts.model_factory()
        return factory.pool_status() if isinstance(factory, ModelFactory) else ()

    def probe_ollama(self, host: str | None = None, model: str | None = None) -> OllamaProbe:
        """A quick look at an Ollama server (version, pulled models); never raises."""
        return probe_ollama(host or self.settings.ollama_host, model or self.settings.model)

    # -- options ------------------------------------------------------------------------------------------
    def _request_settings(self, settings: Settings | None) -> Settings:
        """`settings` as a request may run with them: a change outside REQUEST_FIELDS (gguf, threads: what the
        embedded engine is built from) is a SettingsError naming it, as in `effective`, never silently ignored
        (the service's own model answered under its own name). Another model file is another service: derive()."""
        if settings is None or settings is self.settings:
            return self.settings
        changed = {
            name: getattr(settings, name)
            for name in type(settings).model_fields
            if getattr(settings, name) != getattr(self.settings, name)
        }
        try:
            self.settings.for_request(changed)
        except SettingsError as exc:
            raise SettingsError(f"{exc} (or use svc.derive(...) for a service built with them)") from None
        return settings

    def effective(self, options: AskOptions | None) -> tuple[Settings, GuardrailPolicy]:
        """The Settings and policy a request with these options runs with (validated; raises ValueError). A
        setting the request cannot change (not in REQUEST_FIELDS: the index, the traces' redaction, ...) is a
        SettingsError naming it, not ignored."""
        if options is None:
            return self.settings, self.policy
        settings = self.settings.for_request(options.settings) if options.settings else self.settings
        policy = self.policy.with_overrides(options.guardrails) if options.guardrails else self.policy
        return settings, policy

    def question_limit(self, options: AskOptions | None = None) -> int | None:
        """The longest question the input_size guardrail of this session's policy accepts (a chat box's limit: what
        is longer would be refused), or None when that check is off. Options that do not validate fall back to
        the service's own policy (`ask` reports them as an error)."""
        try:
            return _question_limit(self.effective(options)[1])
        except ValueError:  # PolicyError, SettingsError and pydantic's ValidationError all are
            return _question_limit(self.policy)

    # -- ask ------------------------------------------------------------------------------------------
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

    # -- guardrails and retrieval on their own (the lab, the raw mode) ----------------------------------
    def screen(self, question: str, *, history: Sequence[Turn] = (), options: AskOptions | None = None) -> tuple[Verdict, ...]:
        """The input guardrails' verdicts for a question, exactly as ask() would decide them (no model,
        no retrieval, nothing stored): the same stage code, so a question input_size refuses is not handed to the
        other checks nor to the signals (only the gate's verdict is returned; a 200 KB question took 98 s in them)."""
        settings, policy = self.effective(options)
        signals = self._parts.request_signals(settings, policy, None)
        screen = Screen(guardrails=self._parts.guardrails(policy), retrieve=_no_retrieval, top_k=0, signals=signals)
        ctx = GuardContext(question=question, history=tuple(history))
        return tuple(screen.check("input", ctx, {"callbacks": [TraceCollector()]}).verdicts)

    def screen_retrieval(self, question: str, *, history: Sequence[Turn] = (), options: AskOptions | None = None) -> Screened:
        """Input guardrails, retrieval and retrieval guardrails exactly as ask() runs them, and nothing after:
        no model, nothing stored. `blocked` is the refusal or clarification ask() would return, or None when
        the question would reach the model (the lab scores relevance this way, without model calls)."""
        settings, policy = self.effective(options)
        ladder = GenerationLadder(rungs=(), output_guardrails=())
        signals = self._parts.request_signals(settings, policy, None)
        pipeline = self._runner.pipeline(settings, self._parts.guardrails(policy), ladder, signals=signals)
        return screen_qa(pipeline, QARequest(question=question, history=tuple(history)))

    def relevance(self, question: str, *, options: AskOptions | None = None) -> Verdict:
        """The relevance guardrail's verdict for `question` on its own: retrieval, the retrieval-stage signals
        and that one check, whatever else the policy enables."""
        _, policy = self.effective(options)
        guard = RelevanceGuardrail(**policy.params("relevance"))
        return run_guardrail(guard, self.retrieval_context(question, options=options))

    def retrieval_context(self, question: str, *, options: AskOptions | None = None) -> GuardContext:
        """What the judging retrieval guardrails (relevance) see for `question` asked on its own: the retrieved
        passages the policy's passage-removing checks (context_injection) keep, as ask() judges them, and the
        retrieval-stage signals (calibration sweeps relevance over these, as the policy lab does over traces)."""
        settings, policy = self.effective(options)
        chunks = tuple(self._parts.searcher(settings)(question, settings.top_k))
        ctx = with_signals(self._parts.signals(), "retrieval", GuardContext(question=question, chunks=chunks))
        filters = [g for g in self._parts.guardrails(policy)["retrieval"] if removes_passages(g)]
        if not filters:
            return ctx
        return ctx.model_copy(update={"chunks": kept_chunks(chunks, [run_guardrail(g, ctx) for g in filters])})

    def check_answer(
        self,
        question: str,
        answer: str,
        chunks: Sequence[Chunk],
        *,
        citations: Sequence[str] = (),
        options: AskOptions | None = None,
    ) -> tuple[Verdict, ...]:
        """The output guardrails' verdicts for `answer` to `question` drawn from `chunks`, with their signals,
        as the generation ladder decides them after a model reply (the lab scores grounding this way)."""
        _, policy = self.effective(options)
        ctx = GuardContext(question=question, chunks=tuple(chunks), answer=answer, citations=tuple(citations))
        ctx = with_signals(self._parts.signals().for_policy(policy), "output", ctx)
        return tuple(run_guardrail(g, ctx) for g in self._parts.guardrails(policy)["output"])

    def indexed_chunks(self) -> list[tuple[str, str, str]]:
        """(chunk id, source, text) of every chunk in the index (calibration builds its probes from them). Raises
        EmbedderMismatchError first when the index was built by another embedder: its probes would then be
        searched with the wrong vectors (or, for Ollama's embedder, fail with a connection error that hides it)."""
        docs = self._parts.docs()
        docs.check()
        return list(docs.rows())

    def search(self, question: str, k: int | None = None) -> list[Chunk]:
        """Retrieval only: the k passages nearest to the question, best first (no guardrails)."""
        return self._parts.docs().search(question, k or self.settings.top_k)

    def answer_prompt(self, question: str, *, history: Sequence[Turn] = (), settings: Settings | None = None) -> AnswerPrompt:
        """What the guarded chain would send the model for this question (retrieval included); with `settings` (a
        session's, from `effective`), retrieved and capped as a request with those settings is."""
        s = settings or self.settings
        chunks = self.search(question) if settings is None else self._parts.searcher(s)(question, s.top_k)
        return answer_prompt(question, chunks, history=history, num_ctx=s.num_ctx, num_predict=s.num_predict)

    def raw_answer(self, question: str, *, with_schema: bool = False) -> RawAnswer:
        """One call to the answering model with the app's own prompt and retrieved passages, and nothing
        else: no guardrails, no parse ladder, no retries (`with_schema` adds the answer schema as format).
        A transport failure is returned in `error`, as a caller of the raw model would meet it."""
        self._require_open("raw_answer()")
        prompt = self.answer_prompt(question)
        ref = self.answering_model()
        llm = self.chat_model(format=prompt.schema if with_schema else None)
        started = time.perf_counter()
        try:
            content = llm.invoke(list(prompt.messages)).content
        except self._transport_errors as exc:
            return RawAnswer(
                text=None,
                prompt=prompt,
                model=ref.model,
                latency_ms=_ms(started),
                error=f"{type(exc).__name__}: {short_error(exc)}",  # an error page's markup stays out
            )
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        return RawAnswer(text=text, prompt=prompt, model=ref.model, latency_ms=_ms(started))

    # -- documents ------------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path] = (),
        *,
        progress: Callable[[IngestProgress], None] | None = None,
        rebuild: bool = False,
        on_wait: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Index files/folders (default: settings.docs_dir). Holds the index's cross-process write lock for the
        whole run: a second writer waits (told through `on_wait`), then stops with IndexBusyError."""
        targets = list(paths) or [self.settings.docs_dir]
        return ingest_paths(
            targets,
            index=self._parts.docs(),
            embeddings=self._parts.embedder(),
            root=self.settings.docs_dir,  # per file: relative under docs_dir, absolute elsewhere (stable ids)
            max_bytes=int(self.settings.max_file_mb * 1024 * 1024),
            progress=progress,
            rebuild=rebuild,
            scan=self.injection_scan,
            on_wait=on_wait,
            read_timeout_s=self.settings.index_timeout,
        )

    def indexed_from(self, path: Path) -> list[str]:
        """The indexed documents `ingest([path])` made: the file, or those under the folder (which may be gone)."""
        return indexed_from(path, (d.source for d in self.documents()), root=self.settings.docs_dir)

    def documents(self) -> list[DocumentInfo]:
        return self._parts.docs().documents()

    def index_rebuilding(self) -> str | None:
        """Who is rebuilding the index right now (an `ingest --rebuild`, a session's Re-index all with Rebuild), or
        None: while one is, the documents listed are only those put back so far."""
        return self._parts.docs().rebuilding()

    def delete_document(self, source: str, *, on_wait: Callable[[str], None] | None = None) -> int:
        return self._parts.docs().delete_document(source, on_wait=on_wait)

    # -- uploads (files saved under <home>/uploads by the app) ------------------------------------------
    def uploads(self) -> UploadFolder:
        return UploadFolder(home=self.settings.home, docs_dir=self.settings.docs_dir)

    def source_label(self, source: str) -> str:
        """A document's source as people read it: relative to the docs or uploads folder, never a server path."""
        return self.uploads().label(source)

    def hide_paths(self, text: str) -> str:
        """A message (an IndexBusyError, a file problem) without the server's folders: `uploads/`, `<home>`, `<docs>`."""
        return self.uploads().hide_paths(text)

    def forget_document(self, source: str, *, on_wait: Callable[[str], None] | None = None) -> DocumentRemoval:
        """Delete a document from the index and, when it is a saved upload, its file (else Re-index all would add
        it back); a file of the user's docs folder is never touched (`file` says it stays)."""
        chunks = self.delete_document(source, on_wait=on_wait)
        folder = self.uploads()
        return DocumentRemoval(source=source, label=folder.label(source), chunks=chunks, file=folder.remove(source))

    def ingest_uploads(
        self,
        paths: Sequence[Path],
        *,
        progress: Callable[[IngestProgress], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> UploadIngest:
        """Index saved uploads (files or the uploads folder), then remove the ones the ingest could not read (empty,
        binary, an unknown encoding, a PDF without text): kept, they would come back on every Re-index all."""
        report = self.ingest(paths, progress=progress, on_wait=on_wait)
        return UploadIngest(report=report, discarded=self.uploads().discard_unreadable(report))

    def index_stats(self) -> IndexStats:
        return self._parts.docs().stats()

    def index_integrity(self, *, sample: int = 50, cached: bool = False) -> IndexIntegrity:
        """Whether the index is intact (counts, readable vectors, sampled lookups); `cached` reuses the last
        verdict until some process writes the index again (the Documents page asks on every render)."""
        index = self._parts.docs()
        # A local index says when any process wrote it; a Chroma server does not: its verdict is kept a minute.
        generation = index.generation() if not index.on_server else int(time.monotonic() // 60)
        with self._lock:
            if cached and self._integrity is not None and self._integrity[0] == generation:
                return self._integrity[1]
        found = index.integrity(sample=sample)
        if found.checked:
            with self._lock:
                self._integrity = (generation, found)
        return found

    def index_held_still(self, what: str, *, on_wait: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        """Keep every process from writing the index while held, a running ingest waited for (calibrate's corpus)."""
        return self._parts.docs().held_still(what, on_wait=on_wait)

    def is_index_empty(self) -> bool:
        return self._parts.docs().is_empty()

    def injection_scan(self, text: str) -> str | None:
        """Ingest-time scan of a chunk for text addressed to the model (the context_injection guardrail)."""
        guard = ContextInjectionGuardrail(**self.policy.params("context_injection"))
        verdict = run_guardrail(
            guard, GuardContext(question="", chunks=(Chunk(chunk_id="scan", source="scan", text=text, score=1.0),))
        )
        if not verdict.fired:
            return None
        kinds = sorted({kind for found in (verdict.details or {}).get("families", {}).values() for kind in found})
        quoted = "; ".join(f"“{e.split(': ', 1)[-1][:80]}”" for e in verdict.evidence[:2])
        return f"text addressed to the AI ({', '.join(kinds) or 'pattern'}: {quoted}); the context_injection check leaves this passage out of answers"

    # -- telemetry ------------------------------------------------------------------------------------
    def telemetry_status(self) -> TelemetryStatus:
        """Whether requests are exported as OpenTelemetry traces, where, and how many spans were lost."""
        return self._telemetry.status() if self._telemetry is not None else telemetry_off(self.settings)

    def probe_telemetry(self, timeout: float = 5.0) -> str | None:
        """Send one span to the OTLP backend and wait for it: None when it arrived, else why not (doctor)."""
        if self._telemetry is None:
            return None
        return self._telemetry.probe(timeout)

    def close(self) -> None:
        """Write the traces still queued, stop the trace writer, then flush telemetry (bounded; also at exit); free
        the embedded models of the model factory this service built (every configuration's, `derive`'s included:
        a derived service shares its factory and leaves it open; last: an unload waits for a generation under way).
        Closing again is harmless (it frees a model a request under way loaded since). Afterwards what needs the trace writer or the models (ask, raw_answer,
        chat_model, fresh_chat_model, preload, warm_up, derive) raises ServiceClosedError instead of half working
        (a trace written on the caller's thread, a model loaded again that nothing frees); reading the index and
        the stored traces still works (close releases neither). A request under way finishes and keeps its trace."""
        self._closed = True
        if self._owns_traces:
            self.traces.close()
        if self._telemetry is not None and self._owns_telemetry:
            self._telemetry.close()
        self._parts.close_models()

    @property
    def closed(self) -> bool:
        """Whether close() ran (what needs the trace writer or the models then raises ServiceClosedError)."""
        return self._closed

    def _require_open(self, what: str) -> None:
        if self._closed:
            raise ServiceClosedError(what)

    def __enter__(self) -> GuardedRAG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def derive(self, **overrides: object) -> GuardedRAG:
        """A service with some Settings changed (e.g. another `collection` for an evaluation corpus) that shares
        this one's embedder, model factory (the embedded model loads once per process; one per embedded
        configuration: ModelFactory.for_settings) and backend chooser. ValueError beyond MAX_EMBEDDED_ENGINES."""
        self._require_open("derive()")
        settings = self.settings.with_overrides(**overrides)
        same_embedder = (settings.embedder, settings.ollama_embed_model) == (
            self.settings.embedder,
            self.settings.ollama_embed_model,
        )
        factory = self._parts.model_factory()
        return GuardedRAG(
            settings,
            embeddings=self._parts.embedder() if same_embedder else None,
            # Its own embedded engine when its gguf, num_ctx or threads differ (a serve profile's), else this one's.
            factory=factory.for_settings(settings) if isinstance(factory, ModelFactory) else factory,
            choose=self._parts.choose,
            transport_errors=self._transport_errors,
            reraise_bugs=self.reraise_bugs,
            telemetry=self._telemetry,
            # One store, so one writer and one read barrier, for the same database: a second store's writer
            # queue is one that `traces.get` does not wait for (a profile's fresh trace was a 404 over HTTP).
            traces=self.traces if _trace_target(settings) == _trace_target(self.settings) else None,
        )


def _no_retrieval(query: str, k: int) -> list[Chunk]:
    raise AssertionError("screen() runs the input checks only: nothing is retrieved")


def _question_limit(policy: GuardrailPolicy) -> int | None:
    if not policy.is_enabled("input_size"):
        return None
    return InputSizeGuardrail(**policy.params("input_size")).max_chars


def _trace_target(settings: Settings) -> tuple[str, str]:
    return (str(settings.trace_url or settings.trace_db), str(settings.rejected_traces))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
