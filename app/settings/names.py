"""The names settings go by outside the model: environment variables (GUARDED_RAG_<FIELD>, or another program's own
name for what it defines), the settings file's variable, and the variables the repository's tooling reads.

Rules on a field's name only, so the model can name a variable in its messages without knowing where values come
from (app/settings/sources.py).
"""

from __future__ import annotations

ENV_PREFIX = "GUARDED_RAG_"
# Variables other programs define keep their own names: Ollama's, and OpenTelemetry's standard ones.
FOREIGN_ENV: dict[str, str] = {
    "ollama_host": "OLLAMA_HOST",
    "trace_store": ENV_PREFIX + "TRACE_DB",
    "otel_endpoint": "OTEL_EXPORTER_OTLP_ENDPOINT",
    "otel_traces_endpoint": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "otel_protocol": "OTEL_EXPORTER_OTLP_PROTOCOL",
    "otel_sdk_disabled": "OTEL_SDK_DISABLED",
    "otel_service_name": "OTEL_SERVICE_NAME",
    "malloc_arena_max": "MALLOC_ARENA_MAX",  # glibc reads it at process start; the entry points apply it in-process
}
CONFIG_FILE_ENV = ENV_PREFIX + "CONFIG"
# Read by the repository's tooling, not by the app: the UI screenshot script and the Phoenix test's venv.
TOOLING_ENV = frozenset({ENV_PREFIX + "SCREENSHOTS", ENV_PREFIX + "PHOENIX"})


def env_var(field: str) -> str:
    """The environment variable a field is read from: its foreign name, else GUARDED_RAG_<FIELD>."""
    return FOREIGN_ENV.get(field, ENV_PREFIX + field.upper())
