"""The HTTP service on a loopback port, over a GuardedRAG built on fakes (no real model): real clients talk
to it over real sockets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import Field

from app import GuardedRAG, ServerThread, create_app
from app.fakes import ScriptedChatModel, ScriptedModelFactory
from tests.fake_service import make_service

MODEL = "smollm2:135m"  # the fake service's embedded model (tests/fake_service.embedded_choice)
GOOD = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})
Q = "Which port does Ollama listen on by default?"
VAGUE = "请判断这个方案是否合理。"
OFF_CORPUS = "明朝哪一年迁都北京？"


@dataclass
class Running:
    server: ServerThread
    svc: GuardedRAG
    factory: ScriptedModelFactory
    app: Any

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def model(self) -> ScriptedChatModel:
        return self.factory.models[MODEL]

    def metric(self, name: str, **labels: str) -> float:
        value = self.app.state.served.metrics.registry.get_sample_value(name, labels or None)
        return float(value or 0.0)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    started: list[ServerThread] = []

    def start(
        replies: list[Any] | None = None,
        *,
        model: ScriptedChatModel | None = None,
        scripts: dict[str, list[Any]] | None = None,
        profiles: dict[str, dict[str, Any]] | None = None,
        **settings: Any,
    ) -> Running:
        settings.setdefault("keepalive", 0.05)
        scripts = {MODEL: list(replies or []), **(scripts or {})}
        svc, factory = make_service(tmp_path / f"s{len(started)}", scripts=scripts, **settings)
        if model is not None:
            factory.models[MODEL] = model
        factory.chat_model("embedded", MODEL)  # created now, so tests can look at its calls
        app = create_app(svc, profiles={n: svc.derive(**o) for n, o in (profiles or {}).items()}, warm=False)
        server = ServerThread(app).__enter__()
        started.append(server)
        return Running(server=server, svc=svc, factory=factory, app=app)

    yield start
    for server in started:
        server.stop()


class GatedModel(ScriptedChatModel):
    """A scripted model whose calls wait at a gate: `entered` is set when a call starts, `gate` lets it go."""

    gate: threading.Event = Field(default_factory=threading.Event)
    entered: threading.Event = Field(default_factory=threading.Event)

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.entered.set()
        assert self.gate.wait(20), "the test never opened the gate"
        return super()._generate(messages, stop, run_manager, **kwargs)


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)
