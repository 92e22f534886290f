"""The settings model: every knob of guarded-rag as a validated, documented field (names, env vars and defaults are a
contract), each field wired to the rule for what its value means, and the places derived from them. The fields
themselves are declared by job: the app's (app_fields.py), `serve`'s (serve_fields.py), where traces go
(trace_fields.py); `Settings` joins them in that order.

What a value means (normalized or refused, the field named) is app/settings/values.py; which settings one request
may change, app/settings/requests.py. Where the values come from (defaults, a TOML file, the environment) is
app/settings/sources.py; the names they go by there, app/settings/names.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import AliasChoices, ConfigDict, ValidationInfo, field_validator, model_validator

from app.hosts import normalize_chroma_url, normalize_ollama_host
from app.settings.app_fields import AppFields
from app.settings.requests import fixed_per_request
from app.settings.serve_fields import ServeFields
from app.settings.trace_fields import TraceFields
from app.settings.values import (
    bundled,
    folder,
    host_list,
    ollama_pool,
    origin_list,
    otlp_url,
    plain,
    stripped,
    trace_location,
    unset_if_blank,
    user_home,
)

# The most GUARDED_RAG_TRACE_INPUTS_KB may be: a trace's export line (`traces export --jsonl`) must fit what `traces
# import` reads, LINE_MAX = 64 Mi characters (app/traces/jsonl.py), or export refuses the trace. The cap counts stored
# bytes, each distinct chunk text once; an export line spells a kept byte as up to 6 characters (a control byte is
# "\u0001", U+2028's three bytes "\u2028") and writes a chunk's text again in every capture that saw it: the input
# and retrieval stages and each output attempt, (1 + 5 re-asks) on each of 3 rungs, 20 captures at most. So a kept
# byte is at most 6 * 20 = 120 characters: 64 Mi / 120 = 546 KB, rounded down to leave room for the record's events.
TRACE_INPUTS_KB_MAX = 512

_NUMBERS: tuple[object, ...] = (int, float, int | None, float | None)


class SettingsError(ValueError):
    """A configuration value is invalid; the message names the environment variable or key."""


class Settings(TraceFields, ServeFields, AppFields):
    """Every knob of guarded-rag. Field name -> env var: GUARDED_RAG_<NAME> (OLLAMA_HOST is Ollama's own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _plain(cls, value: object, info: ValidationInfo) -> object:
        field = cls.model_fields.get(info.field_name or "")
        return plain(value, number=field is not None and field.annotation in _NUMBERS)

    @field_validator("home", "docs_dir", "labelled_data", "shared_data", mode="before")
    @classmethod
    def _folder(cls, value: object) -> object:
        return folder(value)

    @field_validator("gguf", "policy", "fallback_model", "api_token", mode="before")
    @classmethod
    def _unset(cls, value: object) -> object:
        return unset_if_blank(value)

    @field_validator("model", "ollama_embed_model", "otel_service_name", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return stripped(value)

    @field_validator("home", "docs_dir", "labelled_data", "shared_data", "policy", mode="before")
    @classmethod
    def _tilde(cls, value: object) -> object:
        return user_home(value)

    @field_validator("docs_dir", "labelled_data", "shared_data")
    @classmethod
    def _bundled(cls, value: Path) -> Path:
        return bundled(value)

    @field_validator("trace_inputs_kb")
    @classmethod
    def _inputs_kb(cls, value: int) -> int:
        if not 0 <= value <= TRACE_INPUTS_KB_MAX:
            raise ValueError(
                f"must be from 0 to {TRACE_INPUTS_KB_MAX} (KB): more could make a trace's export line longer than "
                "`traces import` reads"
            )
        return value

    @field_validator("ollama_host")
    @classmethod
    def _host(cls, value: str) -> str:
        # The forms Ollama accepts, normalized as Ollama reads them (app/hosts.py); anything else is an error.
        return normalize_ollama_host(value)

    @model_validator(mode="before")
    @classmethod
    def _pool(cls, data: object) -> object:
        return ollama_pool(data)

    @field_validator("ollama_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: object) -> object:
        return host_list(value)

    @field_validator("chroma_url")
    @classmethod
    def _chroma(cls, value: str | None) -> str | None:
        return normalize_chroma_url(value) if value and value.strip() else None

    @field_validator("chroma_token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        return unset_if_blank(value)

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every Ollama host requests may go to: the pool, or the one OLLAMA_HOST."""
        return self.ollama_hosts or (self.ollama_host,)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        return origin_list(value)

    @field_validator("trace_store")
    @classmethod
    def _trace_store(cls, value: str | None) -> str | None:
        return trace_location(value)

    @field_validator("otel_endpoint", "otel_traces_endpoint")
    @classmethod
    def _otlp_url(cls, value: str | None) -> str | None:
        return otlp_url(value)

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def trace_url(self) -> str | None:
        """The PostgreSQL URL when traces go to a shared server, else None."""
        return self.trace_store if self.trace_store and "://" in self.trace_store else None

    @property
    def trace_db(self) -> Path:
        """The SQLite trace file: GUARDED_RAG_TRACE_DB when it is a path, else <home>/traces.sqlite3."""
        if self.trace_store and self.trace_url is None:
            return Path(self.trace_store)
        return self.home / "traces.sqlite3"

    @property
    def rejected_traces(self) -> Path:
        """Where a trace record the backend refuses is kept (JSON lines), never retried: <home>/traces-rejected.jsonl."""
        return self.home / "traces-rejected.jsonl"

    @property
    def otel_traces_url(self) -> str | None:
        """Where spans are exported, or None: export is off (no endpoint set, or OTEL_SDK_DISABLED)."""
        if self.otel_sdk_disabled:
            return None
        if self.otel_traces_endpoint:
            return self.otel_traces_endpoint
        if self.otel_endpoint:
            return self.otel_endpoint.rstrip("/") + "/v1/traces"
        return None

    def with_overrides(self, **changes: object) -> Settings:
        """A validated copy (model_copy would skip validation). Overriding ollama_host alone leaves the pool."""
        return Settings.model_validate(merged(self, changes))

    def for_request(self, changes: Mapping[str, object]) -> Settings:
        """The settings one request runs with: `changes` (AskOptions.settings) over these, validated. SettingsError
        when they change a setting outside REQUEST_FIELDS: the request would run with this service's value anyway."""
        changed = self.with_overrides(**changes)
        problem = fixed_per_request(self, changed)
        if problem:
            raise SettingsError(problem)
        return changed


# A setting's other names in a TOML file (trace_db for trace_store): merged onto a dump of Settings, which names
# fields, an alias would sit beside the field and lose to it, or be refused as an extra key.
FIELD_OF: dict[str, str] = {
    alias: name
    for name, field in Settings.model_fields.items()
    if isinstance(field.validation_alias, AliasChoices)
    for alias in field.validation_alias.choices
    if isinstance(alias, str) and alias != name
}


def merged(base: Settings, changes: Mapping[str, object]) -> dict[str, object]:
    """`base`'s values with `changes` over them, each change under its field's name (trace_db -> trace_store).
    Overriding ollama_host alone leaves the pool: the host replaces it."""
    fields = {FIELD_OF.get(key, key): value for key, value in changes.items()}
    if "ollama_host" in fields and "ollama_hosts" not in fields:
        fields["ollama_hosts"] = ()
    return {**base.model_dump(), **fields}
