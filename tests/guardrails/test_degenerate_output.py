"""DegenerateOutputGuardrail: repetition loops are re-asked; lists, tables and legitimate repeats are not."""

from __future__ import annotations

import pytest

from guardrails.base import GuardContext
from guardrails.degenerate_output import DegenerateOutputGuardrail, repeated_span

LOOPS = [
    "127.0.0.1:11434:127.0.0.1:11434:127.0.0.1:11434:127.0.0.1:11434:127.0.0.1:11434:127.0.0.1:11434",
    "The default address is 127.0.0.1:11434 127.0.0.1:11434 127.0.0.1:11434 127.0.0.1:11434 127.0.0.1:11434",
    "ollama list ollama list ollama list ollama list ollama list ollama list ollama list",
    "重试 3 次。重试 3 次。重试 3 次。重试 3 次。重试 3 次。重试 3 次。",
    "模型存放在模型存放在模型存放在模型存放在模型存放在模型存放在",
    "###" * 40,
    "Answer: the the the the the the the the the the the the the the the the the the the the the the the the the the the the the the",
]
FINE = [
    "Ollama listens on port 11434; set OLLAMA_HOST=0.0.0.0:11434 to listen on all interfaces.",
    "Q4_K_M ~4.1 GB, Q5_K_M ~4.8 GB, Q6_K ~5.5 GB, Q8_0 ~7.2 GB.",
    "| level | size |\n|---|---|\n| Q4_K_M | 4.1 GB |\n| Q8_0 | 7.2 GB |",
    "1. 停止服务\n2. 禁用服务\n3. 删除服务文件\n4. 删除程序",
    "默认 5 分钟；0 表示立即卸载，-1 表示永久常驻。",
    "哈哈，对的。",
    "Wait 1 s, then 2 s, then 4 s between retries.",
]


@pytest.mark.parametrize("answer", LOOPS)
def test_loops_are_reasked(answer: str) -> None:
    verdict = DegenerateOutputGuardrail().check(GuardContext(question="q", answer=answer))
    assert verdict.fired and verdict.action == "reask", verdict.reason
    assert "repetition loop" in verdict.reason or "distinct" in verdict.reason


@pytest.mark.parametrize("answer", FINE)
def test_ordinary_answers_pass(answer: str) -> None:
    verdict = DegenerateOutputGuardrail().check(GuardContext(question="q", answer=answer))
    assert not verdict.fired, verdict.reason


def test_loop_evidence_names_the_repeated_unit() -> None:
    unit, copies, run = repeated_span("Address: " + "127.0.0.1:11434:" * 5, 4) or ("", 0, 0)
    assert unit == "127.0.0.1:11434:" and copies == 5 and run == 5 * len(unit)
    verdict = DegenerateOutputGuardrail().check(GuardContext(question="q", answer="127.0.0.1:11434:" * 6))
    assert verdict.evidence == ("127.0.0.1:11434:",) and verdict.details["copies"] == 6


def test_a_short_repeat_inside_a_long_answer_is_not_a_loop() -> None:
    answer = (
        "Set it with `ollama ollama ollama ollama`. Ollama reads the variable when the service starts, so restart "
        "the service after changing it; on Linux run systemctl daemon-reload first, then systemctl restart ollama, "
        "and check the log with journalctl -u ollama to see the values it loaded."
    )
    assert not DegenerateOutputGuardrail().check(GuardContext(question="q", answer=answer)).fired


@pytest.mark.parametrize("answer", [None, "", "  "])
def test_no_answer(answer: str | None) -> None:
    assert not DegenerateOutputGuardrail().check(GuardContext(question="q", answer=answer)).fired


SENTENCE = "Prompt injection can leak the developer's setup text and bypass topic or safety policies."
SENTENCE_ZH = "把 OLLAMA_HOST 设为 0.0.0.0:11434 之后，局域网里的其他机器也能访问这台机器上的 Ollama 服务。"
SENTENCE_LOOPS = [
    # a sentence-long unit needs fewer copies than a short span to be a loop: nobody restates one long sentence
    " ".join([SENTENCE] * 3),
    "".join([SENTENCE_ZH] * 3),
    " ".join([SENTENCE] * 3) + " " + SENTENCE[:50],  # cut off by the token limit
    # an opening sentence, then the loop, then the cut (as a 7B model writes it)
    "It can lead to leaking the setup text, bypassing topic or safety policies, and misleading answers. "
    + "It can also lead to leaking the setup text, bypassing topic or safety policies, and misleading answers. " * 2
    + "It can also lead to leaking the setup text, bypassing",
]
SENTENCES_FINE = [
    SENTENCE + " " + SENTENCE,  # said twice: a restatement, not a loop
    SENTENCE + " " + SENTENCE + " " + SENTENCE[:50],  # a cut third copy does not count (see the module)
    SENTENCE + " In short: " + SENTENCE + " In short: " + SENTENCE[:30],
    "| a | b |\n|---|---|\n" + "| set OLLAMA_HOST before starting the service | yes |\n" * 2,
    "| a | yes, on the port set by OLLAMA_HOST |\n" + "| b | yes, on the port set by OLLAMA_HOST |\n" * 2,
]


@pytest.mark.parametrize("answer", SENTENCE_LOOPS)
def test_sentence_loops_are_reasked(answer: str) -> None:
    verdict = DegenerateOutputGuardrail().check(GuardContext(question="q", answer=answer))
    assert verdict.fired and "repetition loop" in verdict.reason, verdict.reason


@pytest.mark.parametrize("answer", SENTENCES_FINE)
def test_a_sentence_said_twice_is_no_loop(answer: str) -> None:
    verdict = DegenerateOutputGuardrail().check(GuardContext(question="q", answer=answer))
    assert not verdict.fired, verdict.reason


def test_sentence_repeats_follow_the_policy() -> None:
    answer = " ".join([SENTENCE] * 3)
    assert repeated_span(answer, 4) == (SENTENCE, 3, len(answer))
    assert not DegenerateOutputGuardrail(min_sentence_repeats=4).check(GuardContext(question="q", answer=answer)).fired
