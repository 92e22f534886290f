"""A count that contradicts the passage's list ("2 places" for a list of three) is a grounding finding."""

from __future__ import annotations

import pytest

from guardrails.grounding_checks import CHECKS, reason_of
from guardrails.list_counts import passage_lists, wrong_counts
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict

_EN_PLACES = (
    "Modelfile Reference > Where parameters can be set\n"
    "Parameters can be set at three levels. From weakest to strongest:\n\n"
    "1. Built-in defaults of the runtime.\n"
    "2. `PARAMETER` lines in the model's Modelfile.\n"
    "3. The `options` object of an API request.\n\n"
    "A request option overrides the Modelfile."
)
_EN_FROM = (
    "Modelfile Reference > FROM\n`FROM` accepts three kinds of source:\n\n"
    "- an existing model name\n- a GGUF file\n- a directory with Safetensors weights"
)
_ZH_FORMAT = (
    "Ollama API 进阶 > 结构化输出：format 参数\n`format` 有两种写法：\n\n"
    '1. `"format": "json"`：只保证输出是合法 JSON。\n2. 直接传入 JSON Schema 对象。\n\n'
    "在 Python 中可以用 Pydantic 生成 Schema。"
)
_ZH_ERRORS = (
    'Ollama API 进阶 > 错误处理\n出错时响应体是 `{"error": "错误信息"}`。常见情况：\n\n'
    "- **HTTP 404**：模型没有安装；\n- **HTTP 400**：请求格式错误；\n- **HTTP 500**：服务内部错误。\n\n"
    "客户端应记录错误信息。"
)
# A list at the end of a passage may go on in the next chunk: it is counted only when its lead states its count.
_EN_OPEN = "Failure modes > Unparseable output\nTypical defects are:\n\n- prose around the JSON\n- a code fence"


@pytest.mark.parametrize(
    ("answer", "support", "fires"),
    [
        ("There are 2 places where parameters can be set: the Modelfile and the request.", _EN_PLACES, True),
        ("There are four places where parameters can be set.", _EN_PLACES, True),
        ("There are 3 places where parameters can be set.", _EN_PLACES, False),
        ("Two of them are the Modelfile and the request options.", _EN_PLACES, False),
        ("The main 2 places where parameters can be set are the Modelfile and the request.", _EN_PLACES, False),
        ("`FROM` accepts 4 kinds of source.", _EN_FROM, True),
        ("`FROM` accepts two kinds of source.", _EN_FROM, True),
        # A sentence that names just as many items as it counts counts those (a known miss when it omits one).
        ("`FROM` accepts two kinds of source: a model name or a GGUF file.", _EN_FROM, False),
        ("`FROM` accepts three kinds of source.", _EN_FROM, False),
        ("A 7B model at Q4 needs about 4 GB of memory.", _EN_FROM, False),
        ("Name an existing model, a GGUF file or a directory: 8 GB of RAM suffices for 7B.", _EN_FROM, False),
        ("There are 3 typical defects.", _EN_OPEN, False),
        ("`format` 有三种写法。", _ZH_FORMAT, True),
        ("`format` 有 3 种写法：json、Schema 和 YAML。", _ZH_FORMAT, True),
        ("`format` 有两种写法：`json` 或 JSON Schema 对象。", _ZH_FORMAT, False),
        ("常见的错误情况有 4 种。", _ZH_ERRORS, True),
        ("常见的错误情况有三种：404、400 和 500。", _ZH_ERRORS, False),
        ("其中两种是 404 和 400。", _ZH_ERRORS, False),
        ("常见错误例如 404 和 400 两种。", _ZH_ERRORS, False),
        # No noun of the lead line, but the sentence names the list's items: two or more, other than its count.
        ("总共四条：HTTP 404、HTTP 400、HTTP 500。", _ZH_ERRORS, True),
        ("404 和 400 两种都很常见。", _ZH_ERRORS, False),
        ("一共两种：HTTP 404 和 HTTP 400。", _ZH_ERRORS, True),
        ("There are 4: an existing model name, a GGUF file and a Safetensors directory.", _EN_FROM, True),
        ("A model name and a GGUF file are 2 options.", _EN_FROM, False),
    ],
)
def test_wrong_counts(answer: str, support: str, fires: bool) -> None:
    found = wrong_counts(answer, support)
    assert bool(found) == fires
    assert all(f.kind == "list_count" for f in found)


@pytest.mark.parametrize(
    ("support", "counts"),
    [(_EN_PLACES, [3]), (_EN_FROM, [3]), (_ZH_FORMAT, [2]), (_ZH_ERRORS, [3]), (_EN_OPEN, [])],
)
def test_passage_lists(support: str, counts: list[int]) -> None:
    assert [lst.count for lst in passage_lists(support)] == counts


def test_registered_last_with_a_reason() -> None:
    assert CHECKS[-1].name == "list_count"
    (finding,) = wrong_counts("`format` 有三种写法。", _ZH_FORMAT)
    assert "another count of the items listed" in reason_of(finding)


@pytest.mark.parametrize(
    ("answer", "support", "fires"),
    [
        ("There are 2 places where parameters can be set [S1].", _EN_PLACES, True),
        ("There are 3 places where parameters can be set [S1].", _EN_PLACES, False),
        ("`format` 有三种写法 [S1]。", _ZH_FORMAT, True),
        ("`format` 有两种写法 [S1]。", _ZH_FORMAT, False),
    ],
)
def test_grounding_rejects_a_wrong_count(answer: str, support: str, fires: bool) -> None:
    verdict = grounding_verdict(answer, support, similarity=PARAPHRASE_SIMILARITY)
    if fires:
        assert_caught(verdict, "list_count")
    else:
        assert not any(e.startswith("list_count") for e in verdict.evidence), verdict.evidence
