"""Faithful answers written as markdown lists, the way chat models write them: numbered items behind a heading or
bullet mark or in bold ("### 1. ", "**2.** ", "- 3. "), "3、" right before a number, and items that restate one
clause of a passage sentence on their own. None may be blocked; a wrong number or a negated item still is.

Built like the list construction the grounding guardrail was measured on (sentences of data/docs chunks restated
as list items; none is an item of data/eval), in Chinese and English.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict

_check = partial(grounding_verdict, similarity=PARAPHRASE_SIMILARITY)  # the signal present, as at run time

CLI_EN = (
    "Commands > ollama rm\n`ollama rm qwen2.5:3b` deletes a model from disk. Layers shared with other models are kept "
    "until no model uses them."
)
ERRORS_ZH = (
    "错误处理\n**HTTP 500**：服务端内部错误，例如加载模型时内存不足。404 和 400 属于客户端错误，重试没有意义。"
    "注意流式请求已经开始返回后状态码固定为 200。"
)
INJECTION_EN = (
    "**4. Least privilege.** A question-answering assistant does not need tools, network access or write access. "
    "If the model can do nothing except produce text, a successful injection can only produce bad text."
)
CPU_ZH = "硬件要求\n没有 GPU 的机器也能运行模型，只是运行模型会慢很多。建议至少准备 8 GB 内存。"

FAITHFUL = [
    # Numbering behind a heading mark, a bullet, or in bold is layout, not a number the answer states.
    (
        "en heading-numbered",
        "### 1. `ollama rm qwen2.5:3b` deletes a model from disk\n### 2. Shared layers are kept until no model uses them",
        CLI_EN,
    ),
    (
        "en bold-numbered",
        "Here are the points:\n\n**1.** `ollama rm qwen2.5:3b` deletes a model from disk.\n**2.** Layers shared with other models are kept until no model uses them.",
        CLI_EN,
    ),
    (
        "en bullet-numbered",
        "- 1. `ollama rm` deletes a model from disk\n- 2. shared layers stay until no model uses them",
        CLI_EN,
    ),
    (
        "en bold numbered label",
        "**1. Deleting:** `ollama rm qwen2.5:3b` deletes a model from disk.\n**2. Layers:** layers shared with other models are kept.",
        CLI_EN,
    ),
    (
        "zh bold-numbered",
        "主要有以下几点：\n\n**1.** 404 和 400 属于客户端错误，重试没有意义\n**2.** **HTTP 500**：服务端内部错误",
        ERRORS_ZH,
    ),
    ("zh heading-numbered", "### 1. HTTP 500 是服务端内部错误\n### 2. 流式请求开始返回后状态码固定为 200", ERRORS_ZH),
    # "3、" right before a number is still the item's number.
    (
        "zh 3、 before a number",
        "1、**HTTP 500**：服务端内部错误\n2、流式请求开始返回后状态码固定为 200\n3、404 和 400 属于客户端错误，重试没有意义",
        ERRORS_ZH,
    ),
    # An item restating one clause of a sentence that negates and states the same words in its two clauses.
    (
        "en clause item",
        "Here are the main points:\n\n- if the model can do nothing except produce text\n- a successful injection can only produce bad text",
        INJECTION_EN,
    ),
    ("zh clause item", "要点如下：\n\n- 没有 GPU 的机器也能运行模型\n- 只是运行模型会慢很多", CPU_ZH),
]


@pytest.mark.parametrize(("case", "answer", "passage"), FAITHFUL, ids=[c[0] for c in FAITHFUL])
def test_a_faithful_markdown_list_is_not_blocked(case: str, answer: str, passage: str) -> None:
    verdict = _check(answer, passage)
    assert not verdict.fired, (case, verdict.reason)


WRONG = [
    (
        "en wrong number behind numbering",
        "### 1. `ollama rm` deletes a model from disk\n### 2. it keeps 4 copies of each layer",
        CLI_EN,
        "4",
    ),
    (
        "zh wrong number behind 3、",
        "1、HTTP 500 是服务端内部错误\n2、流式请求开始返回后状态码固定为 200\n3、404 和 429 属于客户端错误",
        ERRORS_ZH,
        "429",
    ),
    ("zh negated item", "- 没有 GPU 的机器也能运行模型\n- 只是运行模型不会慢很多", CPU_ZH, "polarity"),
    (
        "en negated item",
        "- a question-answering assistant needs tools, network access and write access",
        INJECTION_EN,
        "polarity",
    ),
]


@pytest.mark.parametrize(("case", "answer", "passage", "evidence"), WRONG, ids=[c[0] for c in WRONG])
def test_a_wrong_list_item_is_still_caught(case: str, answer: str, passage: str, evidence: str) -> None:
    assert_caught(_check(answer, passage), evidence)
