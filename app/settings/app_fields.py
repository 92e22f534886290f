"""The app's own settings fields: the model and where it runs, retrieval, sampling, threads, the embedder, the
index and the data folders, what traces keep, ingest limits and the circuit breaker (part of `Settings`, whose
field names, env names and defaults are a contract; app/settings/model.py wires each to what its value means).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Backend = Literal["auto", "ollama", "embedded"]
EmbedderKind = Literal["usem3", "ollama"]
RetrievalKind = Literal["hybrid", "vector"]
SEED_MAX = 2**31 - 1


class AppFields(BaseModel):
    """The fields of `Settings` the app reads to answer: models, retrieval, index, data, limits."""

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
