"""The embedded backend: an in-process Ollama (httpx transports) served by llama-cpp-python.

app.models.factory builds ChatOllama over these transports; nothing here is a global: callers own the engine.
"""

from __future__ import annotations

from app.embedded.engine import EngineError, LlamaEngine
from app.embedded.events import ChatEngine, ChatEvent, Delta, Finish, LoadReport
from app.embedded.gguf import ModelCard, ModelFileError, embedded_model_name, locate_gguf, model_card
from app.embedded.options import OptionsError
from app.embedded.transport import AsyncEmbeddedOllamaTransport, EmbeddedOllamaTransport

__all__ = [
    "AsyncEmbeddedOllamaTransport",
    "ChatEngine",
    "ChatEvent",
    "Delta",
    "EmbeddedOllamaTransport",
    "EngineError",
    "Finish",
    "LlamaEngine",
    "LoadReport",
    "ModelCard",
    "ModelFileError",
    "OptionsError",
    "embedded_model_name",
    "locate_gguf",
    "model_card",
]
