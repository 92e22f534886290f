"""AnswerRelevanceGuardrail: an echo of the question or a bare heading is re-asked; a real answer that reuses
the question's words (plus a number, a yes/no, an identifier) and a heading that is itself the answer pass."""

from __future__ import annotations

import pytest

from guardrails.answer_relevance import AnswerRelevanceGuardrail, headings
from guardrails.base import Chunk, GuardContext

ENV = Chunk(
    chunk_id="e",
    source="ollama-env-vars-zh.md",
    label="S1",
    score=0.6,
    text="Ollama 环境变量配置指南 > 各变量说明\n**OLLAMA_KEEP_ALIVE**：默认 5 分钟。`0` 表示用完立即卸载。",
)
CLI = Chunk(
    chunk_id="c",
    source="ollama-cli.md",
    label="S1",
    score=0.6,
    text="Ollama Command-Line Reference > Commands > ollama stop\n`ollama stop qwen2.5:3b` unloads a model from memory.",
)
FAQ = Chunk(
    chunk_id="f",
    source="faq.txt",
    label="S1",
    score=0.6,
    text="Q7. Answers stop in the middle, or JSON is cut off.\n\nLook at done_reason in the API response.",
)


def check(question: str, answer: str, chunk: Chunk = ENV):
    return AnswerRelevanceGuardrail().check(GuardContext(question=question, chunks=(chunk,), answer=answer, citations=("S1",)))


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "OLLAMA_KEEP_ALIVE 有什么作用呢？"),
        ("怎么确认环境变量已经生效？", "您想知道怎么确认环境变量已经生效。"),
        ("Docker 里怎么让容器使用 NVIDIA 显卡？", "关于 Docker 里怎么让容器使用 NVIDIA 显卡的问题。"),
        ("What does OLLAMA_KEEP_ALIVE control?", "What does OLLAMA_KEEP_ALIVE control?"),
        ("How do I rename a model?", "You are asking how to rename a model."),
        ("How do I turn off streaming in the API?", "How do I turn off streaming in the API? Turn off streaming in the API."),
    ],
)
def test_echoes_are_reasked(question: str, answer: str) -> None:
    verdict = check(question, answer)
    assert verdict.fired and verdict.action == "reask" and "restates the question" in verdict.reason


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Ollama 默认监听哪个端口？", "Ollama 默认监听 11434 端口。"),  # the number is the answer
        ("Is the default port of Ollama 11434?", "Yes, the default port of Ollama is 11434."),
        ("OLLAMA_KEEP_ALIVE 默认是多久？", "是的，默认 5 分钟"),
        ("Which variable changes the listen address?", "Set OLLAMA_HOST to change the listen address."),
        ("What does OLLAMA_KEEP_ALIVE control?", "How long an idle model stays in memory: 5 minutes by default."),
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "控制模型空闲后在内存里保留多久，默认 5 分钟。"),
        ("Is it safe?", "No."),
    ],
)
def test_answers_reusing_the_question_pass(question: str, answer: str) -> None:
    assert not check(question, answer).fired


@pytest.mark.parametrize(
    ("answer", "chunk"),
    [
        ("Ollama 环境变量配置指南 > 各变量说明", ENV),
        ("各变量说明", ENV),
        ("## 各变量说明", ENV),
        ("Q7. Answers stop in the middle, or JSON is cut off.", FAQ),
    ],
)
def test_a_bare_heading_is_reasked(answer: str, chunk: Chunk) -> None:
    verdict = check("OLLAMA_KEEP_ALIVE 有什么作用？", answer, chunk)
    assert verdict.fired and "heading" in verdict.reason


def test_a_heading_the_passage_shows_as_code_is_an_answer() -> None:
    assert not check("Which command unloads a model from memory?", "ollama stop", CLI).fired
    assert not check("Which command unloads a model from memory?", "`ollama stop`", CLI).fired


def test_headings_of_a_chunk() -> None:
    assert headings(ENV) == ["Ollama 环境变量配置指南 > 各变量说明", "Ollama 环境变量配置指南", "各变量说明"]
    assert "Q7. Answers stop in the middle, or JSON is cut off." in headings(FAQ)


def test_checks_can_be_switched_off() -> None:
    guard = AnswerRelevanceGuardrail(check_headings=False)
    ctx = GuardContext(question="q?", chunks=(ENV,), answer="各变量说明", citations=("S1",))
    assert not guard.check(ctx).fired
