"""InputSizeGuardrail: empty, oversized and binary questions are refused."""

from __future__ import annotations

import pytest

from guardrails.base import GuardContext
from guardrails.input_size import InputSizeGuardrail


def check(question: str, **params: object):
    return InputSizeGuardrail(**params).check(GuardContext(question=question))


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("　", "empty"),  # ideographic space
        ("x" * 2001, "too_long"),
        ("端" * 2001, "too_long"),
        ("what\x00is this", "control_chars"),
        ("hello\x1b[31m", "control_chars"),
        ("端口\x07是多少", "control_chars"),
        ("\ufffd\ufffd\ufffdabc", "replacement_chars"),
    ],
)
def test_fires(question: str, problem: str) -> None:
    verdict = check(question)
    assert verdict.fired
    assert verdict.action == "refuse"
    assert verdict.details["problem"] == problem


def test_empty_reason() -> None:
    assert check("  ").reason == "empty question"


@pytest.mark.parametrize(
    "question",
    [
        "What port does Ollama listen on?",
        "Ollama 默认监听哪个端口？",
        "x" * 2000,
        "line one\nline two\r\n\ttabbed",
        "a long question about caf\ufffd and more words here to dilute it",  # one stray U+FFFD
        "emoji 🦙 and zero\u200bwidth space",
    ],
)
def test_passes(question: str) -> None:
    verdict = check(question)
    assert not verdict.fired
    assert verdict.action == "pass"


def test_max_chars_is_a_parameter() -> None:
    assert check("abcdef", max_chars=5).fired
    verdict = check("x" * 10, max_chars=5)
    assert verdict.score == 10 and verdict.threshold == 5
