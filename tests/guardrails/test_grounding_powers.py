"""A power is one value to the grounding guardrail, however the answer and its passage write it (1e9, 10^9, 10**9,
10⁹, 10 的 9 次方): a correct answer that spells it otherwise than its passage passes, in both languages, and an
answer giving another power is still caught, by the two values it changes. Passages are data/docs text
(ollama-api.md, ollama-api-zh.md) or written for these tests."""

from __future__ import annotations

import pytest

from tests.guardrails.cited import assert_caught, grounding_verdict

PASSAGE_EN = "eval_duration is in nanoseconds: divide by 10^9 for seconds."
PASSAGE_ZH = "eval_duration 的单位是纳秒：除以 10^9 得到秒。"
SPEED_EN = "Generation speed is `eval_count / eval_duration * 1e9` tokens per second."
SPEED_ZH = "生成速度（token/s）= `eval_count / eval_duration × 10^9`。"


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Divide eval_duration by 1e9 to get seconds.", PASSAGE_EN),
        ("Divide eval_duration by 1E9 to get seconds.", PASSAGE_EN),
        ("Divide eval_duration by 10**9 to get seconds.", PASSAGE_EN),
        ("Divide eval_duration by 10⁹ to get seconds.", PASSAGE_EN),
        ("把 eval_duration 除以 1e9 得到秒。", PASSAGE_ZH),
        ("把 eval_duration 除以 10 的 9 次方得到秒。", PASSAGE_ZH),
        ("把 eval_duration 除以 10⁹ 得到秒。", PASSAGE_ZH),
        ("Generation speed is eval_count / eval_duration * 10^9 tokens per second.", SPEED_EN),
        ("生成速度（token/s）= eval_count / eval_duration × 1e9。", SPEED_ZH),
    ],
)
def test_a_power_spelled_otherwise_than_its_passage_passes(answer: str, passage: str) -> None:
    verdict = grounding_verdict(answer, passage)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        ("Divide eval_duration by 1e6 to get seconds.", PASSAGE_EN, "number: 1000000, 1000000000"),
        ("Divide eval_duration by 10^6 to get seconds.", PASSAGE_EN, "number: 1000000, 1000000000"),
        ("把 eval_duration 除以 1e6 得到秒。", PASSAGE_ZH, "number: 1000000, 1000000000"),
        ("把 eval_duration 除以 10 的 6 次方得到秒。", PASSAGE_ZH, "number: 1000000, 1000000000"),
    ],
)
def test_another_power_is_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(grounding_verdict(answer, passage), evidence)
