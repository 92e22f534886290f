"""A service exporting to the OpenTelemetry SDK's in-memory exporter, with real ChatOllama talking HTTP to the
scripted Ollama double on loopback (so token counts and the host come over the wire as in production) and the
embedded rung on a scripted engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.contract import AskResponse
from app.models.factory import ModelFactory
from app.service import GuardedRAG
from app.settings import Settings
from app.telemetry.otel import OtelExport
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.fake_service import write_docs
from tests.ollama_double import Gen, LoopbackOllama, Reply, ScriptedEngine

Q = "Which port does Ollama listen on by default?"
GOOD = {"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}
PRELOAD = Reply.text("")  # the empty-messages chat that loads the model


@dataclass
class Exported:
    svc: GuardedRAG
    telemetry: OtelExport
    exporter: InMemorySpanExporter
    double_url: str

    def trace_of(self, response: AskResponse) -> tuple[ReadableSpan, list[ReadableSpan]]:
        """The root span and its children (in event order) exported for one response."""
        self.svc.traces.flush()
        assert self.telemetry.flush(10)
        spans = [s for s in self.exporter.get_finished_spans() if s.attributes and _trace_attr(s) in (response.trace_id, None)]
        mine = [s for s in spans if s.context is not None and s.context.trace_id == int(response.trace_id, 16)]
        roots = [s for s in mine if s.parent is None]
        assert len(roots) == 1, [s.name for s in mine]
        children = sorted((s for s in mine if s.parent is not None), key=lambda s: int(s.attributes["guarded_rag.seq"]))
        return roots[0], children


def _trace_attr(span: ReadableSpan) -> Any:
    return (span.attributes or {}).get("guarded_rag.trace_id")


@pytest.fixture
def server(httpserver):
    yield httpserver
    httpserver.check_assertions()


@pytest.fixture
def exported(tmp_path: Path, server) -> Iterator[Any]:
    made: list[Exported] = []

    def build(replies: Sequence[Reply] = (), engine: Sequence[Gen] = (), **overrides: Any) -> Exported:
        double = LoopbackOllama(server, replies)
        settings = Settings(
            home=tmp_path / "home",
            docs_dir=write_docs(tmp_path / "docs"),
            backend="ollama",
            ollama_host=double.url,
            retries=1,
            reasks=1,
            timeout=0.5,
            load_timeout=2.0,
            **overrides,
        )
        exporter = InMemorySpanExporter()
        telemetry = OtelExport(settings, exporter)
        svc = GuardedRAG(
            settings,
            embeddings=BagOfWordsEmbeddings(),
            factory=ModelFactory(settings, engine=ScriptedEngine(list(engine))),
            telemetry=telemetry,
        )
        svc.ingest()
        made.append(Exported(svc, telemetry, exporter, double.url))
        return made[-1]

    yield build
    for e in made:
        e.svc.close()
        e.telemetry.close(timeout=5)
