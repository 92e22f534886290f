"""What the HTTP service's routes share (`Served`: one service per served model, the bounded runner, the metrics)
and the names its models go by (guarded-rag:latest, guarded-rag:<profile>, Ollama's rule for a name without a tag).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from app import GuardedRAG, Settings
from app.serve.errors import Problem, json_type
from app.serve.health import BackendChecks
from app.serve.limits import read_json
from app.serve.metrics import Metrics
from app.serve.runner import Runner

MODEL_NAME = "guarded-rag:latest"
_PROFILE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def profile_model(name: str) -> str:
    """The model name a profile is served as: guarded-rag:<name>."""
    if not _PROFILE.match(name) or name == "latest":
        raise ValueError(f"invalid profile name {name!r}: use a-z, 0-9, '.', '_', '-' (and not 'latest')")
    return f"guarded-rag:{name}"


@dataclass(frozen=True)
class Served:
    """What the routes share: one service per served model (profile), the bounded runner, the metrics.
    The first model is the default profile; its settings govern serving (limits, token, CORS)."""

    services: Mapping[str, GuardedRAG]
    runner: Runner
    metrics: Metrics
    body_timeout: float = 60.0  # seconds a client has to send a request body (408 beyond)
    backend_checks: BackendChecks = field(default_factory=BackendChecks)  # /readyz without the token: a recent one

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.services)

    @property
    def svc(self) -> GuardedRAG:
        return next(iter(self.services.values()))

    @property
    def settings(self) -> Settings:
        return self.svc.settings

    async def body(self, request: Request) -> Any:
        """The request's JSON body, read within the size and time limits (413, 408, 400 otherwise)."""
        return await read_json(request, max_bytes=self.settings.max_body_kb * 1024, timeout=self.body_timeout)

    def resolve(self, name: object) -> str:
        """The served model a client named (Ollama's rule: no tag means ':latest'), or an Ollama-style 404.
        `name` comes from a JSON body as the client sent it: anything but a string is a 400."""
        if not name:
            raise Problem(400, "model is required", code="model_required")
        if not isinstance(name, str):
            raise Problem(400, f"model must be a string, not {json_type(name)}", code="invalid_request")
        wanted = _with_tag(name)
        if wanted in self.services:
            return wanted
        # Ollama's rule (server/routes.go getExistingName): an exact match first, else the name matched ignoring case,
        # so "Guarded-RAG" and "guarded-rag:LATEST" reach guarded-rag:latest as `ollama run Llama3` reaches llama3.
        folded = [served for served in self.services if served.casefold() == wanted.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise Problem(404, f"model '{name}' not found (served: {', '.join(self.models)})", code="model_not_found")


def _with_tag(name: str) -> str:
    """Ollama's rule: a name without a tag (after its last '/': a registry host may carry a port) means ':latest'."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
