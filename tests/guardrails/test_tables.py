"""guardrails/tables.py read either way round: a row's value given before its name ("about 9.6 GB for the 13B
row"), a row named by its command and given another row's purpose, a Chinese label naming its row. Every
passage and answer here is written for this file (none is an item of data/eval); correct readings of the same
tables pass."""

from __future__ import annotations

import pytest

from guardrails.tables import borrowed_cells

SIZES = (
    "| Size | Weights at Q4 | Notes |\n|---|---|---|\n"
    "| 3B | ~2.0 GB | phones and small laptops |\n| 8B | ~4.9 GB | most desktops |\n| 14B | ~9.0 GB | needs 16 GB RAM |"
)
SERVICE_ZH = (
    "| 操作 | 命令 |\n|---|---|\n| 停止服务 | `sudo systemctl stop ollama` |\n"
    "| 禁用自启 | `sudo systemctl disable ollama` |\n| 跟踪日志 | `journalctl -u ollama -f` |"
)
SERVICE_EN = (
    "| Task | Command |\n|---|---|\n| Stop the service | `sudo systemctl stop ollama` |\n"
    "| Disable at boot | `sudo systemctl disable ollama` |\n| Follow logs | `journalctl -u ollama -f` |"
)
STATES_ZH = "| 情况 | 处理 |\n|---|---|\n| 连接超时 | 自动重试 |\n| 参数错误 | 修改代码 |\n| 磁盘已满 | 清理空间 |"
SETTINGS = (
    "| Setting | Default | Meaning |\n|---|---|---|\n| `ctx_len` | 4096 | window size in tokens |\n"
    "| `max_new` | -1 | -1 means ctx_len decides |\n| `top_n` | 40 | candidates per step |"
)


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        # a row's value before its name: another row's quantity
        ("About 9.0 GB for a model at 8B.", SIZES, ("8b", "9")),
        ("约 4.9 GB 的是 3B 那一档。", SIZES, ("3b", "4.9")),
        # a row named by its command (the table read the other way round) and given another row's purpose
        ("执行 sudo systemctl stop ollama 就能持续查看日志。", SERVICE_ZH, ("sudo systemctl stop ollama", "日志")),
        ("Run sudo systemctl disable ollama to follow the logs.", SERVICE_EN, ("sudo systemctl disable ollama", "follow", "log")),
        # a Chinese label names its row: another row's command, or another row's handling
        ("禁用自启用 journalctl -u ollama -f。", SERVICE_ZH, ("禁用自启",)),
        ("遇到参数错误时自动重试即可。", STATES_ZH, ("参数错误", "动重", "自动", "重试")),
    ],
)
def test_a_row_given_another_rows_cell_is_caught(answer: str, passage: str, evidence: tuple[str, ...]) -> None:
    found = borrowed_cells(answer, passage)
    assert found and found[0].terms[: len(evidence)] == evidence, found


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("About 4.9 GB for a model at 8B.", SIZES),  # its own quantity, before the name
        ("With 16 GB of RAM, 14B fits: its weights take about 9.0 GB.", SIZES),
        ("-1 means ctx_len decides for max_new.", SETTINGS),  # a bare setting value before a name is no quantity
        ("执行 sudo systemctl stop ollama 就能停止服务。", SERVICE_ZH),
        ("Run journalctl -u ollama -f to follow the logs.", SERVICE_EN),
        ("Run sudo systemctl stop ollama to stop the service.", SERVICE_EN),
        ("跟踪日志用 journalctl -u ollama -f，停止服务用 sudo systemctl stop ollama。", SERVICE_ZH),
        ("连接超时的话自动重试。", STATES_ZH),
        ("3B 和 8B 分别约 2.0 GB 和 4.9 GB。", SIZES),  # two rows compared
    ],
)
def test_a_row_with_its_own_cells_passes(answer: str, passage: str) -> None:
    assert borrowed_cells(answer, passage) == []
