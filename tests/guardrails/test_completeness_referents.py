"""CompletenessGuardrail, lexical checks: references whose only candidate antecedent is a word of their own clause,
a kind of material taken for a name, a predicate taken for a name, options listed only by pointing at them, and
material the user says they sent. Each vague question has a clear look-alike that must still pass."""

from __future__ import annotations

import pytest

from guardrails.base import GuardContext
from guardrails.completeness import CompletenessGuardrail

GUARD = CompletenessGuardrail()


def missing(question: str) -> set[str]:
    verdict = GUARD.check(GuardContext(question=question))  # no semantic signal: the lexical checks alone
    return set(verdict.details["missing"]) if verdict.fired else set()


@pytest.mark.parametrize(
    ("question", "gap"),
    [
        # a bare pronoun whose only "antecedent" is a word of its own clause (a verb, an adverb, its own object)
        ("Make it sound more formal.", "referent"),
        ("Can you tidy it up a little?", "referent"),
        ("add docstrings to it", "referent"),
        ("Translate it into plain words.", "object"),
        ("它在树莓派上能跑吗？", "referent"),
        ("那个在旧显卡上能用吗？", "referent"),
        ("这样写算不算抄袭？", "referent"),
        # a demonstrative before a kind of material, or before a word modifying a placeholder noun
        ("Is this Dockerfile correct?", "referent"),
        ("Turn these interview notes into a summary.", "referent"),
        ("那个prompt安全吗？", "referent"),
        # a demonstrative and placeholder noun before a predicate: "serious" is said of it, it is not its name
        ("Is that error fatal?", "referent"),
        ("Is this warning harmless?", "referent"),
        ("Can you expand on the third point?", "object"),
        ("这个条款对租户公平吗？", "referent"),
        # Chinese ordinals and versions named by their age, like "the second step", "the new version"
        ("第二步为什么要这样做？", "referent"),
        ("新版本更快吗？", "referent"),
        # options given only by position or by pointing
        ("Which quantization should I pick, the first or the second?", "candidates"),
        ("X or Y? I can't choose.", "candidates"),
        ("甲方案和乙方案哪个更省钱？", "candidates"),
        ("上面那个和下面那个哪个字体好看？", "candidates"),
        # asking for advice on nothing, as "有什么建议吗？" and "Any ideas?" already were
        ("Any tips?", "content"),
        ("Any recommendations?", "content"),
        # something the user says they sent, named only by its kind
        ("What is the notice period in the contract I shared?", "object"),
    ],
)
def test_vague(question: str, gap: str) -> None:
    assert gap in missing(question)


@pytest.mark.parametrize(
    "question",
    [
        "When I start Ollama, it crashes with exit code 137.",
        "I pulled llama3 yesterday; how do I update it?",
        "How do I make llama3 use my GPU instead of running it on the CPU?",
        "Is it safe to expose Ollama on 0.0.0.0?",
        "Is it true that llama3 needs a GPU?",
        "How long does it take to pull a 7B model?",
        "Ollama 是什么？它支持 GPU 吗？",
        "它为什么这么慢？我说的是 llama3 的 70B 版本。",
        "OLLAMA_HOST=0.0.0.0:11434 这样配有安全风险吗？",
        "What does the environment variable OLLAMA_KEEP_ALIVE do?",
        "Is this Modelfile OK: FROM llama3 PARAMETER temperature 0.2",
        "Is this parameter (num_ctx) too big for 8 GB?",
        "Ollama 新版本更快吗？",
        "新版本的 Ollama 支持哪些模型？",
        "What does the error 'model not found' mean?",
        "Should I log errors or warnings?",
        "Is Q4_K_M or Q8_0 faster on a CPU?",
        "Can others see the model I shared on ollama.com?",
        "Any tips for speeding up llama3 on a CPU?",
    ],
)
def test_clear(question: str) -> None:
    assert missing(question) == set()
