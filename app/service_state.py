"""What every part of the service reads: its state (declared here, built once by GuardedRAG.__init__ in
app/service.py from Settings), and its end: close() releases the trace writer, telemetry and the models, after
which what needs them raises ServiceClosedError."""

from __future__ import annotations

import threading

from app.asking import RequestRunner
from app.components import Components
from app.documents.integrity import IndexIntegrity
from app.ids import TraceIds
from app.recording import TraceRecorder
from app.settings import Settings
from app.telemetry import Telemetry
from app.traces import TraceStore
from guardrails import GuardrailPolicy


class ServiceClosedError(RuntimeError):
    """A GuardedRAG used after close() for what close() released: its trace writer (ask) or its models."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} on a closed GuardedRAG: close() stopped its trace writer and freed its models; create a new "
            "GuardedRAG (or close it only when done)"
        )


class ServiceState:
    """The state GuardedRAG is built with (app/service.py sets every attribute; the parts of the service read them)
    and the lifecycle around it: close(), closed, and the check that what needs the writer or models is still open."""

    settings: Settings
    reraise_bugs: bool
    policy: GuardrailPolicy
    traces: TraceStore
    _parts: Components
    _transport_errors: tuple[type[BaseException], ...]
    _runner: RequestRunner
    _integrity: tuple[object, IndexIntegrity] | None
    _lock: threading.RLock
    _closed: bool
    _ids: TraceIds
    _recorder: TraceRecorder
    _owns_telemetry: bool
    _telemetry: Telemetry | None
    _owns_traces: bool

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
