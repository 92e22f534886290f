"""The service's models: which backend and model answer (probed once, kept), the chat model itself for experiments
and raw calls, a fresh (unloaded) one, preloading, the Ollama pool's hosts and a quick probe of a server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

from app.models.backend import BackendChoice, OllamaProbe, probe_ollama
from app.models.factory import ModelFactory
from app.models.factory_types import BackendKind, PreloadResult
from app.models.pool import HostStatus
from app.service_options import RequestOptions
from app.settings import Settings


@dataclass(frozen=True)
class ModelRef:
    """Which model answers a question: the backend kind and the model name as that backend knows it."""

    kind: BackendKind
    model: str


class ModelAccess(RequestOptions):
    """The backend choice and the answering model, for a request's settings or the service's own."""

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
