"""CompletenessGuardrail, lexical checks alone: colloquial vague questions (a second author's phrasings) and the
clear look-alikes that must still pass. Fillers, feeling and opinion words, defect words, locatives and length
words name no topic; a name inside the phrase that holds "this plan" is a part of it, not its antecedent;
"which has the best" asks for candidates like "which is best"; two settings set against each other are the
candidates of "which one"."""

from __future__ import annotations

import pytest

from guardrails.base import GuardContext
from guardrails.completeness import CompletenessGuardrail

GUARD = CompletenessGuardrail()


def missing(question: str) -> set[str]:
    verdict = GUARD.check(GuardContext(question=question))
    return set(verdict.details["missing"]) if verdict.fired else set()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # chat fillers name nothing
        ("wat does that even mean lol", {"referent"}),
        ("lol why is it doing that", {"referent"}),
        ("那是啥意思哈哈", {"referent"}),
        # feeling and opinion words name nothing
        ("Should I be worried about that warning?", {"referent"}),
        ("I'm concerned about this error, is it bad?", {"referent"}),
        ("I'd prefer the second one, thoughts?", {"referent"}),
        ("我倾向第二个，你觉得呢？", {"referent"}),
        ("你认为这个方案怎么样？", {"referent"}),
        ("我有点担心那个报错，要紧吗？", {"referent"}),
        # a locative is not a name ("里面" glued to the next character read as one)
        ("你帮我在这三个里面挑一个吧", {"referent"}),
        ("这几个当中挑一个", {"referent"}),
        # a request for a look at defects, with nothing to look at
        ("帮我瞅瞅有没有错别字", {"object"}),
        ("瞧瞧有没有病句", {"object"}),
        ("Check it for typos.", {"object"}),
        ("Any typos?", {"content"}),
        # a length word only sets the format of material that is missing
        ("Give me a one-line version.", {"content"}),
        ("Make a two-sentence version.", {"content"}),
        ("Can I get a 100-word version?", {"content"}),
        # a name inside the phrase holding the reference is a part of what it points at
        ("Is the timeline in this plan realistic?", {"referent"}),
        ("Is the budget of that proposal OK?", {"referent"}),
        ("Are the numbers in these results plausible?", {"referent"}),
        ("How do I set OLLAMA_HOST in this script?", {"referent"}),
        ("这个方案里的时间安排合理吗？", {"referent"}),
        # "which has the best" asks for candidates, like "which is best"
        ("Of the vendors on my list, which has the best support?", {"candidates"}),
        ("Which has the lowest latency?", {"candidates"}),
    ],
)
def test_colloquial_vague_questions_clarify(question: str, expected: set[str]) -> None:
    assert missing(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "lol, why does Ollama use 100% CPU when idle?",
        "哈哈，Ollama 默认端口是多少？",
        "Should I be worried about the 'model not found' warning from ollama run?",
        "Should I be worried if Ollama listens on 0.0.0.0?",
        "你觉得 Q4_K_M 和 Q8_0 哪个更好？",
        "我倾向用 qwen2.5:3b，它支持中文吗？",
        "Modelfile 里面 num_ctx 怎么写？",
        "帮我瞅瞅这句话有没有错别字：“他们明天部署模形。”",
        "瞅瞅这段代码：`for i in range(10) print(i)`",
        "把这句翻成英文：模型已下载完成。",
        "Give me a one-line summary of what OLLAMA_KEEP_ALIVE does.",
        "Is the timeline in this plan realistic: install on Monday, test Tuesday, ship Friday?",
        "I run Ollama 0.5; is the default port in this version 11434?",
        "Which has the lowest latency, Q4_K_M or Q8_0?",
        "Which of Q4_K_M and Q8_0 has the best quality?",
        # two settings set against each other are the candidates
        "If my Modelfile sets temperature 0.2 but the options in my request say 0.7, which one wins?",
        "Modelfile 里 temperature 是 0.2，但是请求的 options 里是 0.7，哪个更好？",
    ],
)
def test_clear_look_alikes_pass(question: str) -> None:
    assert missing(question) == set()


@pytest.mark.parametrize(
    "question",
    ["I use Ollama but it is slow, which one is better?", "我在用 Ollama，但是很慢，哪个更好？"],
)
def test_a_contrast_with_one_named_side_gives_no_candidates(question: str) -> None:
    assert "candidates" in missing(question)


@pytest.mark.parametrize(
    ("question", "says"),
    [("帮我瞅瞅有没有错别字", "检查"), ("翻成英文。", "翻译")],
)
def test_colloquial_request_verbs_are_asked_for_plainly(question: str, says: str) -> None:
    verdict = GUARD.check(GuardContext(question=question))
    assert verdict.fired and says in verdict.details["questions"][0]
