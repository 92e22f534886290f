"""eval_count on the embedded model: Ollama's count of generated tokens (app/chains/replies.py reads it against
num_predict to tell a cut-off reply). Asked the same prompt again, llama-cpp-python re-evaluates the last prompt
token alone, and llama.cpp's perf counters book that one-token batch as a generated token: eval_count came out one
more than the tokens generated (6 at num_predict=5), so a reply that ended one token short of num_predict read as
cut off there."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.embedded import EmbeddedOllamaTransport, LlamaEngine

MODEL = "smollm2:135m"
STORY = [{"role": "user", "content": "Write a long story about a cat."}]


class _Llama:
    """Calls `eval` the way llama-cpp-python's generate does: the prompt's uncached tokens, then one token each."""

    def __init__(self) -> None:
        self.evaluated: list[list[int]] = []

    def eval(self, tokens: list[int]) -> None:
        self.evaluated.append(list(tokens))


def test_counting_evals_counts_the_prompt_once_and_every_later_token() -> None:
    from app.embedded.engine import counting_evals  # here: the integration test below runs on any engine

    llama = _Llama()
    with counting_evals(llama) as evals:
        llama.eval([1, 2, 3])
        llama.eval([4])
        llama.eval([5])
    assert (evals.prompt, evals.sampled) == (3, 3)  # 2 evaluated tokens + the last sampled one, never evaluated
    assert llama.evaluated == [[1, 2, 3], [4], [5]] and "eval" not in vars(llama)
    with counting_evals(object()) as none:  # a build without eval: nothing counted, the caller falls back
        pass
    assert none.calls == 0


@pytest.mark.integration
def test_eval_count_is_num_predict_when_the_reply_hits_it_even_for_a_cached_prompt() -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    engine = LlamaEngine(None, max_ctx=512, threads=2)
    with httpx.Client(base_url="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine), timeout=120) as client:

        def ask() -> dict[str, Any]:
            body = {"model": MODEL, "messages": STORY, "stream": False, "options": {"temperature": 0, "num_predict": 5}}
            reply: dict[str, Any] = client.post("/api/chat", json=body).json()
            return reply

        first, again = ask(), ask()
    assert first["done_reason"] == again["done_reason"] == "length"
    assert first["eval_count"] == 5 and first["prompt_eval_count"] > 1
    assert again["eval_count"] == 5, again  # the whole prompt was cached: only its last token was evaluated
    assert again["message"]["content"] == first["message"]["content"]
