"""CompletenessGuardrail: vague questions get clarifying questions; concrete look-alikes pass."""

from __future__ import annotations

import pytest

from guardrails.base import GuardContext, Turn
from guardrails.completeness import CompletenessGuardrail
from guardrails.text import has_cjk

GUARD = CompletenessGuardrail()
PLAN = (Turn(role="user", content="I plan to run qwen2.5:7b Q4_K_M on a laptop with 8 GB RAM."),)


def check(question: str, history: tuple[Turn, ...] = ()):
    return GUARD.check(GuardContext(question=question, history=history))


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("请判断这个方案是否合理。", {"referent", "object"}),
        ("Is this plan reasonable?", {"referent"}),
        ("帮我看看这段代码有什么问题", {"object"}),
        ("哪个更好？", {"candidates"}),
        ("What does it mean?", {"referent"}),
        ("Fix this.", {"object"}),
        ("它是什么意思？", {"referent"}),
        ("Why doesn't it work?", {"referent"}),
        ("Which one is better?", {"candidates"}),
        ("Please review my code.", {"object"}),
        ("翻译一下这段话", {"object"}),
        ("Summarize the following.", {"object"}),
        ("上面说的对吗？", {"referent"}),
        ("Why is my Docker command failing?", {"object"}),
        ("我的配置为什么报错？", {"object"}),
        ("What does this parameter do?", {"referent"}),
        ("?", {"content"}),
        ("help", {"content"}),
        ("帮我", {"content"}),
        ("怎么办", {"content"}),
        ("What's the difference?", {"content"}),
    ],
)
def test_vague_questions_clarify(question: str, missing: set[str]) -> None:
    verdict = check(question)
    assert verdict.fired, question
    assert verdict.action == "clarify"
    assert set(verdict.details["missing"]) <= {"referent", "object", "candidates", "content"}
    assert set(verdict.details["missing"]) & missing, verdict.details
    questions = verdict.details["questions"]
    assert 1 <= len(questions) <= 3
    # Clarifying questions come in the language of the question.
    assert all(has_cjk(q) == has_cjk(question) for q in questions), questions


@pytest.mark.parametrize(
    "question",
    [
        "Ollama 默认监听哪个端口？",
        "How do I pull a model with Ollama?",
        "Which is better for 8 GB RAM, Q4_K_M or Q8_0?",
        "这个参数 num_ctx 是什么意思？",
        "What does this environment variable OLLAMA_KEEP_ALIVE control?",
        "Q4_K_M 和 Q8_0 哪个更好？",
        "哪个更好：Q5_K_M 还是 Q4_K_M？",
        "Translate this: hello world",
        "总结下面的内容：Ollama 是一个在本地运行大模型的工具。",
        "Is it true that Ollama listens on port 11434?",
        "I installed Ollama but it won't start. What should I check?",
        'What does it mean when done_reason is "length"?',
        "Fix this: `ollama run` says model not found",
        "How do I check the logs?",
        "What is a model?",
        "What is prompt injection?",
        "Which of these is a quantization format: Q4_K_M, FP16, GGUF?",
        "如何在 Docker 里运行 Ollama？",
        "上下文长度 num_ctx 默认是多少？",
    ],
)
def test_concrete_questions_pass(question: str) -> None:
    verdict = check(question)
    assert not verdict.fired, verdict.details
    assert verdict.details == {"missing": [], "questions": []}


def test_history_resolves_references() -> None:
    assert check("Is it reasonable?").fired
    assert not check("Is it reasonable?", PLAN).fired
    assert not check("哪个更好？", (Turn(role="user", content="Q4_K_M 和 Q8_0 我该选哪个？"),)).fired


def test_history_without_content_does_not_resolve() -> None:
    assert check("Is it reasonable?", (Turn(role="user", content="hi"),)).fired


def test_history_can_be_ignored_by_policy() -> None:
    guard = CompletenessGuardrail(use_history=False)
    assert guard.check(GuardContext(question="Is it reasonable?", history=PLAN)).fired


def test_evidence_names_the_vague_phrase() -> None:
    verdict = check("Is this plan reasonable?")
    assert "this plan" in verdict.evidence
    assert 'What does "this plan" refer to?' in verdict.details["questions"][0]


def test_candidates_question_asks_for_options_and_criteria() -> None:
    questions = check("Which one is better?").details["questions"]
    assert any("options" in q for q in questions)
    assert len(questions) == 2


def test_max_questions() -> None:
    guard = CompletenessGuardrail(max_questions=1)
    verdict = guard.check(GuardContext(question="哪个更好？"))
    assert len(verdict.details["questions"]) == 1
