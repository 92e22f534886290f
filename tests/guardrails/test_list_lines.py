"""guardrails/list_lines.py: one reading of a markdown list line (indent, frame, marker kind, number, body) for the
grounding checks that read lists, and the few members where their old readers disagreed, decided once: a "•" bullet
is a bullet everywhere, "1、安装" is an item with no blank after its number, a time ("10:30 …") numbers no step,
"第 1 步：" is a step label like "第1步：".
Every line here is written for this file (none is an item of data/eval), in Chinese and English."""

from __future__ import annotations

import pytest

from guardrails.grounding_support import layout_free
from guardrails.list_counts import passage_lists
from guardrails.list_lines import plain_item, read_line
from guardrails.list_rows import list_item
from guardrails.step_order import sequences

# line -> (indent, frame, kind, number, emphasis, gap, body), or None for no list line
READINGS = [
    ("- restart the service", (0, "", "bullet", None, False, True, "restart the service")),
    ("  * 重启服务", (2, "", "bullet", None, False, True, "重启服务")),
    ("+ pull the model", (0, "", "bullet", None, False, True, "pull the model")),
    ("• 拉取模型", (0, "", "bullet", None, False, True, "拉取模型")),
    ("1. Install Ollama", (0, "", "number", 1, False, True, "Install Ollama")),
    ("12) set num_ctx", (0, "", "number", 12, False, True, "set num_ctx")),
    ("3、404 和 400", (0, "", "number", 3, False, False, "404 和 400")),
    ("2) 8 GB of memory", (0, "", "number", 2, False, True, "8 GB of memory")),
    ("1、安装", (0, "", "number", 1, False, False, "安装")),
    ("**1.** Stop the agent", (0, "", "number", 1, True, True, "Stop the agent")),
    ("**4. Timeouts**", (0, "", "number", 4, True, True, "Timeouts**")),
    ("__2)__ 复制目录", (0, "", "number", 2, True, True, "复制目录")),
    ("### 1. Memory", (0, "### ", "number", 1, False, True, "Memory")),
    ("> 2) quoted step", (0, "> ", "number", 2, False, True, "quoted step")),
    ("- 1. numbered bullet", (0, "", "bullet", None, False, True, "1. numbered bullet")),
    ("Step 1: install", (0, "", "label", 1, False, True, "install")),
    ("**Step 2.** pull", (0, "", "label", 2, True, True, "pull")),
    ("第 1 步：安装", (0, "", "label", 1, False, False, "安装")),
    ("第六步：重启", (0, "", "label", 6, False, False, "重启")),
    ("第十二步，检查日志", (0, "", "label", 12, False, False, "检查日志")),
    ("7: restart", (0, "", "label", 7, False, True, "restart")),
    ("1.5 GB per billion parameters", None),
    ("3.10 版本以上", None),
    ("-5 degrees", None),
    ("**bold** text", None),
    ("*emphasis* here", None),
    ("2024. was the year", None),
    ("10:30 restart the server", None),
    ("#### not numbered", None),
    ("Install it first.", None),
    ("步骤很多", None),
    ("", None),
]


@pytest.mark.parametrize(("line", "want"), READINGS)
def test_read_line(line: str, want: tuple[object, ...] | None) -> None:
    item = read_line(line)
    got = item and (item.indent, item.frame, item.kind, item.number, item.emphasis, item.gap, item.body)
    assert got == want
    if item is not None:
        assert line[item.start :] == item.body and item.mark_end <= item.start


# The plain items of ranked lists, counted lists and key–value rows: a bullet or a number and text after it.
PLAIN = [
    ("- A", "A"),
    ("• 拉取模型", "拉取模型"),
    ("2) B", "B"),
    ("3、 检查", "检查"),
    ("3、404 和 400", "404 和 400"),  # no blank needed after a number
    ("**1.** Stop", None),  # in emphasis
    ("### 1. Memory", None),  # a heading
    ("Step 1: install", None),  # a label
    ("- ", None),  # no text
]


@pytest.mark.parametrize(("line", "body"), PLAIN)
def test_plain_item(line: str, body: str | None) -> None:
    item = plain_item(line)
    assert (item.body if item else None) == body


# Members decided once (each changed one reader's verdict on its line before list_lines.py).
def test_bullet_dot_is_a_row() -> None:  # list_rows read "-", "*", "+" only
    assert list_item("• **Q8**: about 1 GB per billion parameters") == ("Q8", "about 1 GB per billion parameters")


def test_unspaced_chinese_numbers_are_counted() -> None:  # list_counts read "1、 安装" only, with a blank
    lists = passage_lists("安装步骤：\n1、下载安装包\n2、拖入应用程序文件夹\n3、启动应用\n完成后即可使用。")
    assert [lst.count for lst in lists] == [3]


def test_numbering_behind_a_dot_bullet_is_layout() -> None:  # grounding_support read "-", "*", "+" only
    assert "3" not in layout_free("• 3. Retry the request")


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("10:30 restart the relay server\n10:45 reload the relay config", []),  # times, not step numbers
        ("第 1 步：安装 Ollama 服务\n第 2 步：拉取 qwen 模型", [2]),  # a spaced step label, like 第1步：
        ("第1步：安装 Ollama 服务\n第2步：拉取 qwen 模型", [2]),
    ],
)
def test_step_lines(text: str, steps: list[int]) -> None:
    assert [len(s) for s in sequences(text)] == steps
