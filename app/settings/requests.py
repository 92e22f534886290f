"""The settings one request may change (AskOptions.settings), and the message for a change it may not make: what
the backend choice, the models, the retrieval and the deadlines read per request, and nothing the service builds
once."""

from __future__ import annotations

from pydantic import BaseModel

from app.settings.names import env_var

REQUEST_FIELDS: frozenset[str] = frozenset(
    {
        "ollama_host",
        "ollama_hosts",
        "backend",
        "model",
        "fallback_model",
        "timeout",
        "load_timeout",
        "latency_budget",
        "retries",
        "reasks",
        "top_k",
        "retrieval",
        "temperature",
        "num_ctx",
        "num_predict",
        "seed",
    }
)
"""The settings a request may change (AskOptions.settings: the UI's per-session Settings page, `serve`'s sampling
options, `ask --backend`): what the backend choice, the models, the retrieval and the deadlines read per request.
Every other one configures a part the service builds once (the index and embedder, the trace store and its
redaction, the embedded engine, the circuit breakers, the policy file, the server, telemetry, the process)."""


def fixed_per_request(before: BaseModel, after: BaseModel) -> str | None:
    """Why `after` cannot be one request's settings over `before`'s service: each setting outside REQUEST_FIELDS
    they differ in, with the variable that sets it for the service; None when they differ only in those."""
    fixed = [
        name for name in type(before).model_fields if name not in REQUEST_FIELDS and getattr(after, name) != getattr(before, name)
    ]
    if not fixed:
        return None
    return "; ".join(
        f"{name} cannot be changed per request: set {env_var(name)} (or {name} in the settings file) for the service"
        for name in fixed
    )
