"""Output checks: code in backticks is the same in every language. An English answer over a Chinese passage (or the
reverse) may translate a quoted label (“应用程序” for **Applications**), so such a term need not be found verbatim;
but a command, flag or port mapping in backticks (`-p 11434:11435`) is no label, and must be the passage's own.

Passages are data/docs text or written like it; no item of data/eval.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.guardrails.cited import PARAPHRASE_SIMILARITY, grounding_verdict

_check = partial(grounding_verdict, similarity=PARAPHRASE_SIMILARITY)  # the signal present, as at run time

DOCKER_ZH = (
    "如果宿主机上已经运行着原生安装的 Ollama，端口会冲突，需要先停掉其中一个，或者把容器映射到其他端口，例如 `-p 11435:11434`。"
)
RUN_ZH = "在终端运行 `ollama run qwen2.5:3b` 即可开始对话，输入 `/bye` 退出。"
INSTALL_ZH = "下载后解压，把 Ollama.app 拖到“应用程序”，之后它待在菜单栏并自动启动服务。"
PULL_EN = "Download a model with `ollama pull qwen2.5:3b`; list what is installed with `ollama list`."


@pytest.mark.parametrize(
    ("answer", "passage", "term"),
    [
        ("Stop one of them, or map the container to another port, e.g. `-p 11434:11435`.", DOCKER_ZH, "-p 11434:11435"),
        ("Start chatting with `ollama chat qwen2.5:3b` and leave with `/bye`.", RUN_ZH, "ollama chat qwen2.5:3b"),
        ("Type `/exit` to leave the chat started by `ollama run qwen2.5:3b`.", RUN_ZH, "/exit"),
        ("用 `ollama fetch qwen2.5:3b` 下载模型，用 `ollama list` 查看已安装的模型。", PULL_EN, "ollama fetch qwen2.5:3b"),
    ],
)
def test_code_in_backticks_across_languages_must_be_the_passages(answer: str, passage: str, term: str) -> None:
    verdict = _check(answer, passage)
    assert verdict.fired and term in verdict.reason, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Stop one of them, or map the container to another port, e.g. `-p 11435:11434`.", DOCKER_ZH),
        ("Start chatting with `ollama run qwen2.5:3b` and leave with `/bye`.", RUN_ZH),
        ("After unpacking, drag Ollama.app into “Applications”; it then sits in the menu bar.", INSTALL_ZH),
        ("用 `ollama pull qwen2.5:3b` 下载模型，用 `ollama list` 查看已安装的模型。", PULL_EN),
    ],
)
def test_code_copied_and_labels_translated_pass(answer: str, passage: str) -> None:
    verdict = _check(answer, passage)
    assert not verdict.fired, verdict.reason
