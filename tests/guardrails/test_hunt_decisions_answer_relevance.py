"""Bug hunt (decisions): only a leading yes/no excuses an echo, not a word that merely starts like one.

The leading yes/no of answer_relevance was a bare prefix test, so "no" excused every answer opening with
"Noted", "Now", "Normally"…, "yes" one opening with "Yesterday", "right" "Rightly", and "对" (right) the Chinese
"对于…的问题" (regarding …), which is the very talk about the question the check does not count as content: the
same echo opened with 关于 was re-asked, with 对于 it passed.
"""

from __future__ import annotations

import pytest

from guardrails.answer_relevance import AnswerRelevanceGuardrail
from guardrails.base import GuardContext

EN_Q = "What port does Ollama listen on by default?"
ZH_Q = "Ollama 默认监听哪个端口？"


@pytest.mark.parametrize(
    ("question", "answer", "echo"),
    [
        # echoes opening with a word that only starts like a yes/no
        (EN_Q, "Noted: you want to know what port Ollama listens on by default.", True),
        (EN_Q, "Now, what port does Ollama listen on by default?", True),
        (EN_Q, "Normally: what port does Ollama listen on by default?", True),
        (EN_Q, "Yesterday you asked what port Ollama listens on by default.", True),
        (EN_Q, "Rightly asked: what port does Ollama listen on by default?", True),
        (ZH_Q, "对于 Ollama 默认监听哪个端口的问题", True),
        (ZH_Q, "对于Ollama默认监听哪个端口", True),
        # the same echoes without the look-alike word: re-asked before and after
        (EN_Q, "You want to know what port Ollama listens on by default.", True),
        (ZH_Q, "关于 Ollama 默认监听哪个端口的问题", True),
        # a real leading yes/no still answers
        ("Does Ollama listen on port 11434 by default?", "Yes, Ollama listens on port 11434 by default.", False),
        ("Does Ollama listen on all interfaces by default?", "No, Ollama does not listen on all interfaces by default.", False),
        ("Does Ollama listen on all interfaces by default?", "Not by default: Ollama listens on all interfaces?", False),
        ("Is that right?", "Right.", False),
        ("Is it safe?", "No.", False),
        ("Does Ollama listen on all interfaces by default?", "Nope, Ollama does not listen on all interfaces by default.", False),
        ("Ollama 默认监听所有网卡吗？", "不，Ollama 默认监听所有网卡", False),
        ("Ollama 默认监听所有网卡吗？", "对，Ollama 默认监听所有网卡", False),
        ("Ollama 能在 Windows 上运行吗？", "能在 Windows 上运行。", False),
        ("Ollama 默认监听所有网卡吗？", "没有，Ollama 默认监听所有网卡", False),
    ],
)
def test_only_a_leading_yes_or_no_excuses_an_echo(question: str, answer: str, echo: bool) -> None:
    verdict = AnswerRelevanceGuardrail().check(GuardContext(question=question, answer=answer))
    assert verdict.fired is echo, (verdict.reason, verdict.details)
    if echo:
        assert verdict.action == "reask" and "restates the question" in verdict.reason
