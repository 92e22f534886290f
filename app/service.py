"""The service: the one Python API behind the CLI, the Streamlit app and the tests (ask, ingest, documents,
traces, backend status). Composition root: builds guardrails, index, models and the chain from Settings.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from app.backend import BackendChoice, choose_backend
from app.chaos import ChaosConfig
from app.contract import AskOptions, AskResponse, to_response
from app.embeddings import IdentifiedEmbeddings, make_embeddings
from app.doctor import DoctorReport, run_doctor
from app.index import DocumentIndex, DocumentInfo, EmbedderMismatchError
from app.ingest import IngestProgress, IngestReport, ingest_paths
from app.model_factory import TRANSPORT_ERRORS, ModelFactory
from app.rungs import RungBuilder
from app.settings import Settings
from app.traces import TraceRecord, TraceStore, redact
from chains import GenerationLadder, LadderPolicy, QAConfig, QAPipeline, QARequest, QAResult, TraceCollector, TraceEvent, answer_chars_for, run_qa
from guardrails import Chunk, GuardContext, GuardrailPolicy, PolicyError, Turn, build_guardrails, load_policy, run_guardrail
from guardrails.context_injection import ContextInjectionGuardrail

Observer = Callable[[TraceEvent], None]


class GuardedRAG:
    """One instance per process (the UI caches it); per-request state lives in the request, not here."""

    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: IdentifiedEmbeddings | None = None,
        factory: ModelFactory | None = None,
        choose: Callable[[Settings], BackendChoice] = choose_backend,
        transport_errors: tuple[type[BaseException], ...] = TRANSPORT_ERRORS,
    ) -> None:
        self.settings = settings
        self.policy: GuardrailPolicy = load_policy(settings.policy) if settings.policy else load_policy()
        self._embeddings = embeddings
        self._factory = factory
        self._choose = choose
        self._transport_errors = transport_errors
        self._choice: BackendChoice | None = None
        self._index: DocumentIndex | None = None
        self._rungs: RungBuilder | None = None
        self._lock = threading.Lock()
        self.traces = TraceStore(settings.trace_db)

    # -- lazily built parts (the embedder and the model load on first use, not at import) --------------
    @property
    def embeddings(self) -> IdentifiedEmbeddings:
        with self._lock:
            if self._embeddings is None:
                self._embeddings = make_embeddings(self.settings)
            return self._embeddings

    @property
    def index(self) -> DocumentIndex:
        if self._index is None:
            index = DocumentIndex.from_settings(self.settings, self.embeddings)
            with self._lock:
                self._index = self._index or index
        return self._index

    @property
    def rung_builder(self) -> RungBuilder:
        with self._lock:
            if self._rungs is None:
                self._rungs = RungBuilder(self._factory or ModelFactory(self.settings))
            return self._rungs

    def backend(self, *, refresh: bool = False) -> BackendChoice:
        """Which backend answers and why (probes Ollama once; `refresh=True` probes again)."""
        if self._choice is None or refresh:
            self._choice = self._choose(self.settings)
        return self._choice

    # -- ask ------------------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        options: AskOptions | None = None,
        observer: Observer | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> AskResponse:
        """Answer one question. Never raises for bad input, a bad model or a broken backend: every outcome
        is a typed AskResponse with a trace, persisted under a trace_id."""
        started = time.perf_counter()
        trace_id = uuid.uuid4().hex
        options = options or AskOptions()
        collector = TraceCollector(observer=observer, on_token=on_token)
        settings, choice, chaos = self.settings, None, None
        try:
            settings = self.settings.with_overrides(**options.settings) if options.settings else self.settings
            choice = self._choose(settings) if options.settings.get("backend") not in (None, self.settings.backend) else self.backend()
            collector.add(TraceEvent(step="backend", name="backend", outcome="ok", reason=choice.reason, model=choice.model, details={"kind": choice.kind, "fix": choice.fix}))
            chaos = ChaosConfig.model_validate(options.chaos) if options.chaos else None
            result = self._ask(question, tuple(history), settings, choice, options, chaos, collector)
        except (ValueError, PolicyError, EmbedderMismatchError) as exc:  # invalid options, policy or index
            result = self._error(collector, f"{exc}")
        except Exception as exc:  # noqa: BLE001 - last line of defence: a bug becomes a traced error, never a traceback
            result = self._error(collector, f"internal error ({type(exc).__name__}: {str(exc)[:300]}); see trace {trace_id}")
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
        )
        self._persist(question, response, options.session)
        return response

    def _ask(self, question: str, history: tuple[Turn, ...], settings: Settings, choice: BackendChoice, options: AskOptions, chaos: ChaosConfig | None, collector: TraceCollector) -> QAResult:
        policy = self.policy.with_overrides(options.guardrails) if options.guardrails else self.policy
        guardrails = build_guardrails(policy)
        request = QARequest(question=question, history=history)
        # With an empty index the input checks still run (a vague question gets clarify), and a
        # "nothing relevant" refusal becomes an error that says how to fill the index.
        empty_index = self.index.is_empty()
        if chaos is not None:
            chaos = chaos.model_copy(update={"seed": chaos.seed if chaos.seed is not None else random.randrange(2**31)})

            def on_fault(fault: str, description: str) -> None:
                collector.add(TraceEvent(step="chaos", name=f"chaos:{fault}", outcome="fired", reason=description))

            chaos_hook = on_fault
        else:
            chaos_hook = None
        rungs = self.rung_builder.build(choice, settings, chaos=chaos, on_fault=chaos_hook)
        ladder = GenerationLadder(
            rungs=rungs,
            output_guardrails=guardrails["output"],
            policy=LadderPolicy(
                retries=settings.retries,
                reasks=settings.reasks,
                transport_errors=self._transport_errors,
                max_answer_chars=answer_chars_for(settings.num_predict),
            ),
        )
        pipeline = QAPipeline(
            guardrails={"input": guardrails["input"], "retrieval": guardrails["retrieval"], "output": ()},
            retrieve=_empty_index if empty_index else self.index.search,
            ladder=ladder,
            config=QAConfig(top_k=settings.top_k, num_ctx=settings.num_ctx, num_predict=settings.num_predict, latency_budget_s=settings.latency_budget),
        )
        result = run_qa(pipeline, request, collector=collector)
        if empty_index and result.status == "refused" and not any(v.fired and v.stage == "input" for v in result.verdicts):
            return result.model_copy(update={"status": "error", "message": "The index is empty: run `guarded-rag ingest` (or `make run`, which indexes data/docs) first."})
        return result

    def _error(self, collector: TraceCollector, message: str) -> QAResult:
        collector.add(TraceEvent(step="result", name="error", outcome="error", reason=message))
        return QAResult(status="error", message=message, events=tuple(collector.events), llm_calls=collector.llm_calls)

    def _persist(self, question: str, response: AskResponse, session: str | None) -> None:
        record = TraceRecord(
            trace_id=response.trace_id,
            created_at=datetime.now(UTC),
            question=redact(question) if self.settings.redact_questions else question,
            status=response.status,
            backend=response.backend,
            model=response.model,
            rung=response.rung,
            llm_calls=response.llm_calls,
            latency_ms=response.latency_ms,
            fired=tuple(g.name for g in response.guardrails if g.fired),
            session=session,
            result=response.to_json_dict() | {"message": response.message},
            events=tuple(response.events),
        )
        self.traces.save(record)

    # -- documents ------------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path] = (), *, progress: Callable[[IngestProgress], None] | None = None, rebuild: bool = False) -> IngestReport:
        """Index files/folders (default: settings.docs_dir). The single writer of the index."""
        targets = list(paths) or [self.settings.docs_dir]
        if rebuild:
            self.index.reset()
        return ingest_paths(
            targets,
            index=self.index,
            embeddings=self.embeddings,
            root=self.settings.docs_dir,  # per file: relative under docs_dir, absolute elsewhere (stable ids)
            max_bytes=int(self.settings.max_file_mb * 1024 * 1024),
            progress=progress,
            scan=self.injection_scan,
        )

    def documents(self) -> list[DocumentInfo]:
        return self.index.documents()

    def delete_document(self, source: str) -> int:
        return self.index.delete_document(source)

    def doctor(self) -> DoctorReport:
        return run_doctor(self)

    def injection_scan(self, text: str) -> str | None:
        """Ingest-time scan of a chunk for text addressed to the model (the context_injection guardrail)."""
        params = self.policy.params("context_injection")
        guard = ContextInjectionGuardrail(**params)
        verdict = run_guardrail(guard, GuardContext(question="", chunks=(Chunk(chunk_id="scan", source="scan", text=text, score=1.0),)))
        return verdict.reason if verdict.fired else None

    def derive(self, **overrides: object) -> GuardedRAG:
        """A service with some Settings changed (e.g. another `collection` for an evaluation corpus) that shares
        this one's embedder, model factory (the embedded model loads once per process) and backend chooser."""
        settings = self.settings.with_overrides(**overrides)
        same_embedder = (settings.embedder, settings.ollama_embed_model) == (self.settings.embedder, self.settings.ollama_embed_model)
        return GuardedRAG(
            settings,
            embeddings=self.embeddings if same_embedder else None,
            factory=self.rung_builder.factory,
            choose=self._choose,
            transport_errors=self._transport_errors,
        )


def _empty_index(query: str, k: int) -> list[Chunk]:
    return []

