"""The real embedded model (llama-cpp-python + the bundled SmolLM2-135M) at its context limits: a num_ctx past the
one it was trained with, and a prompt that does not fit. Marked `integration`; a second or two."""

from __future__ import annotations

import httpx
import pytest

from app.embedded import EmbeddedOllamaTransport, LlamaEngine
from chains.replies import truncation

pytestmark = pytest.mark.integration
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

MODEL = "smollm2:135m"


def test_a_context_past_the_trained_one_is_capped_at_it() -> None:
    report = LlamaEngine(None, max_ctx=16384, threads=1).load()
    assert report.n_ctx == 8192  # SmolLM2-135M's llama.context_length


def test_a_prompt_longer_than_the_context_is_a_context_cut_and_the_engine_answers_next() -> None:
    engine = LlamaEngine(None, max_ctx=512, threads=1)
    with httpx.Client(base_url="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine), timeout=60) as c:
        long = [{"role": "user", "content": "word " * 800}]
        body = {"model": MODEL, "messages": long, "stream": False, "options": {"num_predict": 64}}
        reply = c.post("/api/chat", json=body)
        assert reply.status_code == 200, reply.text
        meta = reply.json()
        assert (meta["done_reason"], meta["prompt_eval_count"], meta["eval_count"]) == ("length", 512, 0)
        cut = truncation(meta, num_predict=64, num_ctx=512)
        assert cut is not None and cut.kind == "context" and cut.window == 512
        short = {**body, "messages": [{"role": "user", "content": "Say hi"}], "options": {"num_predict": 4}}
        after = c.post("/api/chat", json=short)
    assert after.status_code == 200 and after.json()["eval_count"] > 0
