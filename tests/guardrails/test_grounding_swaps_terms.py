"""Output checks, issue #11 section 4 (helper h130): an answer clause that restates a passage clause word for word
but puts another term of the passage in one slot (系统托盘 where the passage says 菜单栏, `stop` where it says
`length`, 模型 where it says 程序), which overlap, similarity and the identifier check all pass (every word is the
passage's). Correct paraphrases (another verb, another word order, a gloss the passage gives) must pass.

Every passage and answer here is written for this file (none is an item of data/eval); passages are data/docs text
or written like it.
"""

from __future__ import annotations

from functools import partial

import pytest

from guardrails.substitutions import swapped_terms
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict
from tests.guardrails.corpus import section_quotes

_check = partial(grounding_verdict, similarity=PARAPHRASE_SIMILARITY)  # the signal present, as at run time

INSTALL_ZH = (
    "## macOS\n下载后解压，把 Ollama.app 拖到“应用程序”，之后它待在菜单栏并自动启动服务。\n"
    "## Windows\n运行 OllamaSetup.exe，安装后在系统托盘常驻，无需管理员权限。"
)
REASON_ZH = "`done_reason` 的取值：\n- `stop`：遇到停止词或自然结束\n- `length`：达到 `num_predict` 上限"
REASON_EN = (
    "The `done_reason` field says why generation ended:\n- `stop` means the model finished on its own\n"
    "- `length` means it hit `num_predict` or the context limit"
)
CHECK_ZH = "生成后，程序应检查引用编号确实存在于本次检索结果中。模型和程序分工不同。模型只负责生成答案，不负责校验。"
SERVE_ZH = "在终端运行 `ollama serve` 即可。也可以在终端启动桌面应用。程序应检查端口，系统应记录日志。"
HOST_EN = (
    "Set `OLLAMA_MODELS` to change where models are stored. Set `OLLAMA_HOST` to change the listen address. "
    "`ollama rm` deletes a model from disk. `ollama stop` unloads it from memory."
)
PORT_ZH = (
    "同一台机器上的程序可以通过 `http://127.0.0.1:11434` 或 `http://localhost:11434` 访问。默认地址是 `http://127.0.0.1:11434`。"
)
GLOSS_ZH = "生成答案的是大语言模型（LLM），检索由程序完成。模型只看到检索到的片段。"


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        ("在 macOS 上，之后它待在系统托盘并自动启动服务。", INSTALL_ZH, "term: 系统托盘, 菜单栏"),
        ("`stop`：达到 `num_predict` 上限。", REASON_ZH, "term: stop, length"),
        ("stop：达到 num_predict 上限，输出被截断。", REASON_ZH, "term: stop, length"),
        ("`stop` means it hit `num_predict` or the context limit.", REASON_EN, "term: stop, length"),
        ("生成后，模型应检查引用编号确实存在于本次检索结果中。", CHECK_ZH, "term: 模型, 程序"),  # listed siblings
        ("Set `OLLAMA_HOST` to change where models are stored.", HOST_EN, "term: ollama_host, ollama_models"),
        ("`ollama stop` deletes a model from disk.", HOST_EN, "term: ollama stop, ollama rm"),
    ],
)
def test_a_term_of_the_passage_put_in_another_terms_slot_is_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(_check(answer, passage), evidence)


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("之后它待在菜单栏并自动启动服务。", INSTALL_ZH),  # the passage's own words
        ("之后它待在菜单栏并自动运行服务。", INSTALL_ZH),  # another verb (运行 is the passage's too)
        ("它之后会待在菜单栏，自动启动服务。", INSTALL_ZH),  # another word order, a word added
        ("Windows 上安装后常驻在系统托盘，不需要管理员权限。", INSTALL_ZH),
        ("`length`：达到 `num_predict` 上限，输出被截断。", REASON_ZH),
        ("`length` means generation hit `num_predict` or the context limit.", REASON_EN),
        ("生成后，应由程序检查引用编号确实存在于检索结果中。", CHECK_ZH),  # the agent moved, not replaced
        ("生成后，代码应检查引用编号确实存在于本次检索结果中。", CHECK_ZH),  # a word the passage never uses: left alone
        ("生成答案的是 LLM，检索由程序完成。", GLOSS_ZH),  # the passage's gloss
        ("生成答案的是大模型，检索由程序完成。", GLOSS_ZH),
        ("在终端启动 `ollama serve` 即可。", SERVE_ZH),  # a two-character verb the passage uses in a like slot
        ("系统应检查端口。", SERVE_ZH),  # two-character near-synonyms the passage never lists as siblings
        ("默认地址是 `http://localhost:11434`。", PORT_ZH),  # the passage gives the two names as alternatives
        ("`ollama rm` deletes the model from the disk.", HOST_EN),
    ],
)
def test_a_correct_paraphrase_is_not_a_swap(answer: str, passage: str) -> None:
    assert swapped_terms(answer, passage) == []
    verdict = _check(answer, passage)
    assert not any(e.startswith("term:") for e in verdict.evidence), verdict.reason


def test_no_sentence_of_the_corpus_swaps_a_term_of_its_own_section() -> None:
    """Every data/docs sentence against its section, and against its section without its own paragraph (where the
    sentences nearest to it, which it does not restate, are what it aligns with): a quote never swaps a term."""
    fired = [(q.file, c.claim, c.sentence) for q in section_quotes() for c in swapped_terms(q.sentence, q.support)]
    assert fired == []
