"""The settings fields of `guarded-rag serve`, the HTTP service: its token, how many questions it takes at once
and queues, what it reads of a request, the browser origins it answers, its keep-alive (part of `Settings`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class ServeFields(BaseModel):
    """The fields of `Settings` that govern `guarded-rag serve`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
