"""guardrails/list_rows.py: key–value list items read as table rows (tables.py), so an answer giving one item's key
another item's value is a "row" finding: in a sentence naming one item, in one naming several in turn, or in the
answer's own list. Every passage and answer here is written for this file (none is an item of data/eval); faithful
restatements of the same lists pass."""

from __future__ import annotations

import pytest

from guardrails.list_rows import list_item
from guardrails.tables import borrowed_cells

SIZES = (
    "Memory for the weights:\n\n- **Q4**: about 0.5–0.6 GB per billion parameters\n"
    "- **Q8**: about 1 GB per billion parameters\n- **F16**: about 2 GB per billion parameters"
)
ENV = (
    "- `KEEP_WARM` — how long an idle model stays in memory, 5 minutes by default\n"
    "- `MAX_QUEUE` — how many requests may wait, 512 by default\n"
    "- `NUM_SLOTS` — parallel requests per model, chosen from free memory"
)
OPTIONS = "* ctx_len: context window in tokens, 4096 here\n* max_new: most tokens to generate, 128 here"
TIMEOUTS_ZH = (
    "建议的超时：\n- **连接超时**：3 秒左右，连不上说明服务没启动。\n"
    "- **读取超时**：60–120 秒，要覆盖冷启动。\n- **首字超时**：流式输出时单独限制，例如 30 秒。"
)
ERRORS_ZH = (
    "1. **HTTP 404**：请求的模型没有安装，先拉取模型。\n2. **HTTP 400**：请求参数有误，例如 JSON 格式不对。\n"
    "3. **HTTP 500**：服务端内部错误，例如加载模型时内存不足。"
)


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        # a sentence naming several items in turn: the middle one given the next item's number
        ("Q4 takes about 0.5–0.6 GB per billion parameters, Q8 about 2 GB, and F16 about 4 GB.", SIZES, ("q8", "2")),
        # the answer's own list: its item's key and value are one piece
        ("- **Q8**: about 2 GB per billion parameters", SIZES, ("q8", "2")),
        # a code key before a dash, a plain key before a colon
        ("By default KEEP_WARM lets 512 requests wait.", ENV, ("keep_warm", "512")),
        ("ctx_len is 128 tokens here.", OPTIONS, ("ctx_len", "128")),
        # Chinese: a bold label and a full-width colon, another item's number or words
        ("连接超时建议设为 60–120 秒。", TIMEOUTS_ZH, ("连接超时", "120", "60")),
        ("- **HTTP 404**：服务端内部错误，例如加载模型时内存不足。", ERRORS_ZH, ("http 404",)),
    ],
)
def test_an_item_given_another_items_value_is_caught(answer: str, passage: str, evidence: tuple[str, ...]) -> None:
    found = borrowed_cells(answer, passage)
    assert found and found[0].kind == "row" and found[0].terms[: len(evidence)] == evidence, found


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Q4 takes about 0.5–0.6 GB per billion parameters, Q8 about 1 GB, and F16 about 2 GB.", SIZES),
        ("- **Q8**: about 1 GB per billion parameters\n- **F16**: about 2 GB per billion parameters", SIZES),
        ("Q8 needs about 1 GB per billion parameters, half of F16's 2 GB.", SIZES),
        ("KEEP_WARM keeps an idle model in memory for 5 minutes by default.", ENV),
        ("ctx_len: the context window, 4096 tokens here.", OPTIONS),
        ("连接超时设为 3 秒左右即可，读取超时要 60–120 秒。", TIMEOUTS_ZH),
        ("- **HTTP 404**：请求的模型没有安装，需要先拉取模型。", ERRORS_ZH),
        ("HTTP 500 表示服务端内部错误，比如加载模型时内存不足。", ERRORS_ZH),
    ],
)
def test_a_faithful_restatement_passes(answer: str, passage: str) -> None:
    assert borrowed_cells(answer, passage) == []


@pytest.mark.parametrize(
    ("line", "item"),
    [
        ("- **Q8**: about 1 GB", ("Q8", "about 1 GB")),
        ("- `KEEP_WARM` — how long", ("KEEP_WARM", "how long")),
        ("* ctx_len: context window", ("ctx_len", "context window")),
        ("1. **HTTP 404**：请求的模型没有安装", ("HTTP 404", "请求的模型没有安装")),
        ("- **Queueing.** With one slot, users wait.", ("Queueing", "With one slot, users wait.")),
        ("- macOS：`~/.ollama/models`", ("macOS", "`~/.ollama/models`")),
        ("- use a smaller model (3B instead of 7B);", None),
        ("Plain prose: not an item.", None),
    ],
)
def test_list_item_reads_key_and_value(line: str, item: tuple[str, str] | None) -> None:
    assert list_item(line) == item
