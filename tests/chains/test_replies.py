"""Reading a reply before the parse ladder: reasoning apart from the answer, and why a reply stopped early."""

from __future__ import annotations

import pytest

from chains.replies import split_thinking, truncation


@pytest.mark.parametrize(
    ("raw", "reasoning", "content"),
    [
        ('{"answer": "a"}', "", '{"answer": "a"}'),
        ('<think>\nhmm\n</think>\n{"answer": "a"}', "hmm", '{"answer": "a"}'),
        ("<think></think>\n\n{}", "", "{}"),  # qwen3 with thinking off still opens and closes an empty block
        ("  <think>a</think><think>b</think> {}", "a\nb", "{}"),
        ("<think>never closed", "never closed", ""),
        ('{"answer": "<think> inside a string stays"}', "", '{"answer": "<think> inside a string stays"}'),
    ],
)
def test_split_thinking(raw: str, reasoning: str, content: str) -> None:
    assert split_thinking(raw) == (reasoning, content)


def test_truncation_kinds() -> None:
    assert truncation({"done_reason": "stop", "eval_count": 10}, num_predict=64, num_ctx=2048) is None
    assert truncation({}, num_predict=64, num_ctx=2048) is None
    at_limit = truncation({"done_reason": "length", "eval_count": 64}, num_predict=64, num_ctx=2048)
    assert at_limit is not None and at_limit.kind == "num_predict"
    quiet = truncation({"done_reason": "stop", "eval_count": 64}, num_predict=64, num_ctx=2048)
    assert quiet is not None and quiet.kind == "num_predict"
    full = truncation({"done_reason": "length", "eval_count": 20, "prompt_eval_count": 1004}, num_predict=64, num_ctx=4096)
    assert full is not None and full.kind == "context" and full.window == 1024
    unknown = truncation({"done_reason": "length"}, num_predict=64, num_ctx=2048)
    assert unknown is not None and unknown.kind == "num_predict"
