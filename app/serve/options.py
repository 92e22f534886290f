"""What `guarded-rag serve` is told: the address, whether it may listen beyond loopback without a token, the
drain time, and the limits on slow clients (validated at the boundary)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PORT = 11435  # next to Ollama's 11434, so both can run on one machine


class ServeOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    insecure: bool = Field(default=False, description="Listen beyond loopback without a token (not recommended).")
    drain_timeout: float = Field(default=30.0, gt=0, description="Seconds shutdown waits for questions in flight.")
    # Slow clients (slowloris): uvicorn waits for a request's headers and body for as long as the client likes.
    header_timeout: float = Field(default=10.0, gt=0, description="Seconds a client has to send a request's headers.")
    body_timeout: float = Field(default=60.0, gt=0, description="Seconds a client has to send a request's body (408).")
    keep_alive: int = Field(default=5, ge=1, description="Seconds an idle keep-alive connection stays open.")
