"""A served reply's Sources block names each cited document as the UI does (GuardedRAG.source_label): a document
ingested from an absolute path, or a saved upload, never shows the server's folders to an HTTP client."""

from __future__ import annotations

import shutil
from pathlib import Path

import ollama
import openai
import pytest

from app import AskResponse, reply_text
from tests.app.serve.conftest import GOOD, Q


def _placed(run, where: str) -> Path:
    """The sample docs copied to `where` ("outside": a folder of their own; "uploads": the home's uploads folder),
    ingested from there, so every source is an absolute path."""
    docs = run.svc.settings.docs_dir
    folder = run.svc.settings.home / "uploads" if where == "uploads" else docs.parent / "elsewhere"
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs.iterdir():
        shutil.copy(doc, folder / doc.name)
    run.svc.ingest([folder])
    return folder


def _ollama(url: str, stream: bool) -> str:
    client = ollama.Client(host=url)
    messages = [{"role": "user", "content": Q}]
    if stream:
        return "".join(c.message.content or "" for c in client.chat(model="guarded-rag", messages=messages, stream=True))
    return client.chat(model="guarded-rag", messages=messages).message.content or ""


def _openai(url: str, stream: bool) -> str:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused")
    messages = [{"role": "user", "content": Q}]
    if stream:
        chunks = client.chat.completions.create(model="guarded-rag", messages=messages, stream=True)  # type: ignore[arg-type]
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reply = client.chat.completions.create(model="guarded-rag", messages=messages)  # type: ignore[arg-type]
    return reply.choices[0].message.content or ""


@pytest.mark.parametrize(("where", "shown"), [("outside", "[S1] …/ollama-port.md"), ("uploads", "[S1] uploads/ollama-port.md")])
@pytest.mark.parametrize("dialect", ["ollama", "openai"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_served_reply_shows_the_label_not_the_path(serve, where: str, shown: str, dialect: str, stream: bool):
    run = serve([GOOD], ingest=False)
    folder = _placed(run, where)
    text = (_ollama if dialect == "ollama" else _openai)(run.url, stream)
    assert text.endswith(f"\n\nSources:\n{shown}")
    assert str(folder) not in text and str(run.svc.settings.home) not in text
    assert run.svc.traces.list()[0].status == "answered"


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("ollama-port.md", "[S1] ollama-port.md"),
        ("sub/ollama-port.md", "[S1] sub/ollama-port.md"),
        ("/srv/home/uploads/ollama-port.md", "[S1] …/ollama-port.md"),
    ],
)
def test_reply_text_without_a_service_hides_server_paths(source: str, shown: str):
    resp = AskResponse.model_validate(
        {
            "status": "answered",
            "answer": "Port 11434.",
            "citations": [{"source": source, "chunk_id": "c1", "label": "S1", "score": 1.0}],
            "guardrails": [],
            "llm_calls": 1,
            "backend": "embedded",
            "model": "m",
            "trace_id": "t",
            "latency_ms": 1.0,
        }
    )
    assert reply_text(resp) == f"Port 11434.\n\nSources:\n{shown}"
    assert reply_text(resp, label=lambda s: "X") == "Port 11434.\n\nSources:\n[S1] X"
