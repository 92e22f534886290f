"""A count equal to a whole passage list's number of items is supported, though the passage never writes the digit."""

from __future__ import annotations

import pytest

from guardrails.grounding_support import unsupported_numbers
from guardrails.list_counts import right_counts
from guardrails.text_numbers import numbers
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, grounding_verdict

_ZH_MEMORY = (
    "硬件要求 > 内存估算\n粗略估算方法：\n\n- 权重：参数量乘以每个参数的字节数；\n- KV 缓存：随上下文长度增长；\n"
    "- 额外开销：运行时本身的占用。\n\n实际占用以 `ollama ps` 为准。"
)
_EN_FIELDS = (
    "API Reference > Response fields\nThe final response object carries these fields:\n\n"
    "- `total_duration`\n- `load_duration`\n- `prompt_eval_count`\n- `prompt_eval_duration`\n- `eval_count`\n"
    "- `eval_duration`\n\nDurations are in nanoseconds."
)
# A list at the end of a passage may go on in the next chunk: no count of it is supported by it.
_EN_OPEN = "Failure modes > Unparseable output\nTypical defects are:\n\n- prose around the JSON\n- a code fence\n- a cut"


@pytest.mark.parametrize(
    ("answer", "support", "missing"),
    [
        ("一共有 3 个部分：权重、KV 缓存、额外开销。", _ZH_MEMORY, []),
        ("粗略估算方法共 3 项。", _ZH_MEMORY, []),
        ("一共有 4 个部分：权重、KV 缓存、额外开销。", _ZH_MEMORY, ["4"]),
        ("其中 3 项是权重、KV 缓存和额外开销。", _ZH_MEMORY, ["3"]),  # marked as a part: not a count of the list
        ("模型加载要重试 3 次。", _ZH_MEMORY, ["3"]),  # no count of what the list counts
        ("The final response object has 6 fields.", _EN_FIELDS, []),
        ("The final response object has 5 fields.", _EN_FIELDS, ["5"]),
        ("Durations are in nanoseconds, about 6 per token.", _EN_FIELDS, ["6"]),
        ("There are 6 fields, and it retries 6 times.", _EN_OPEN, ["6"]),
        ("There are 3 typical defects.", _EN_OPEN, ["3"]),
    ],
)
def test_a_right_count_is_supported(answer: str, support: str, missing: list[str]) -> None:
    assert unsupported_numbers(numbers(answer), support, answer) == missing


@pytest.mark.parametrize(
    ("answer", "support", "counted"),
    [
        ("一共有 3 个部分：权重、KV 缓存、额外开销。", _ZH_MEMORY, {"3"}),
        ("一共有 4 个部分。", _ZH_MEMORY, set()),
        ("The response has 6 fields.", _EN_FIELDS, {"6"}),
        ("The response has six fields.", _EN_FIELDS, {"6"}),
        ("It has 6 fields.", _EN_FIELDS, set()),  # a generic noun alone names no list's count (list_counts.py)
        ("Some 6 fields are set.", _EN_FIELDS, set()),
    ],
)
def test_right_counts(answer: str, support: str, counted: set[str]) -> None:
    assert right_counts(answer, support) == counted


@pytest.mark.parametrize(
    ("answer", "support", "accepted"),
    [
        ("粗略估算一共有 3 个部分：权重、KV 缓存、额外开销 [S1]。", _ZH_MEMORY, True),
        ("The final response object carries 6 fields [S1].", _EN_FIELDS, True),
        ("The final response object carries 7 fields [S1].", _EN_FIELDS, False),
    ],
)
def test_grounding_accepts_a_right_count(answer: str, support: str, accepted: bool) -> None:
    verdict = grounding_verdict(answer, support, similarity=PARAPHRASE_SIMILARITY)
    assert (not verdict.fired) == accepted, verdict.evidence
