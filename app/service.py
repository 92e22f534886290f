"""The service: the one Python API behind the CLI, the Streamlit app, the lab and the tests (ask, search,
ingest, documents, traces, backend status, raw model access for experiments).

Composition root: builds guardrails, index, models and the chain from Settings (and derives a service with some
of them changed). Callers never reach through its attributes into the parts; what they need is a method of
GuardedRAG, each job in its own module:

- `service_state.py`: the state every part reads, and close() (then ServiceClosedError);
- `service_options.py`: a request's effective Settings and policy; `service_models.py`: the backend and models;
- `service_readiness.py`: parts built up front, the OpenTelemetry export's status;
- `service_ask.py`: the ask path; `service_screen.py`: the guardrail stages on their own;
- `service_raw.py`: the app's prompt and one unguarded model call;
- `service_index.py`: reading the index; `service_ingest.py`: ingest; `service_uploads.py`: the uploads folder.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable

from app.asking import RequestRunner
from app.components import Components
from app.documents.embeddings import IdentifiedEmbeddings
from app.ids import TraceIds
from app.models.backend import BackendChoice, choose_backend
from app.models.factory import ModelFactory
from app.models.factory_types import ChatModelFactory
from app.models.transport_errors import TRANSPORT_ERRORS
from app.recording import TraceRecorder
from app.service_ask import EXPECTED_ERRORS, Asking, Observer
from app.service_models import ModelRef
from app.service_raw import RawAccess, RawAnswer
from app.service_readiness import Readiness
from app.service_screen import Screening
from app.service_state import ServiceClosedError
from app.service_uploads import Uploads
from app.settings import Settings
from app.telemetry import Telemetry, start_telemetry
from app.traces import TraceStore, open_trace_backend
from guardrails import load_policy

__all__ = ["EXPECTED_ERRORS", "GuardedRAG", "ModelRef", "Observer", "RawAnswer", "ServiceClosedError"]


class GuardedRAG(Asking, Screening, RawAccess, Uploads, Readiness):
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
        self.policy = load_policy(settings.policy) if settings.policy else load_policy()
        self._parts = Components(settings, embeddings=embeddings, factory=factory, choose=choose)
        self._transport_errors = transport_errors
        self._runner = RequestRunner(
            self._parts, transport_errors, ollama_host=settings.ollama_host, redact_questions=settings.redact_questions
        )
        self._integrity = None
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


def _trace_target(settings: Settings) -> tuple[str, str]:
    return (str(settings.trace_url or settings.trace_db), str(settings.rejected_traces))
