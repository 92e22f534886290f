"""Output checks on answers of the kinds a second author's set (grounding2, tune half) showed them wrong about:
correct summaries blocked (是不是 read as a negation, "避免…" against "不会…", a translated label in quotes, a
passage whose code block made it "English"), and wrong answers let through (a unit named in words, a table row
given another row's cell, a hedge dropped for "always" / "一定", a Latin name a Chinese passage never uses, a slash
command, a why question echoed as its own reason).

Every passage and answer here is written for this file (none is an item of data/eval); each case names the
general cause it stands for, in Chinese and English.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from guardrails.answer_relevance import AnswerRelevanceGuardrail
from guardrails.base import Chunk, GuardContext
from guardrails.overclaims import overgeneralized
from guardrails.polarity import contradictions
from guardrails.sentences import sentences
from guardrails.tables import borrowed_cells
from guardrails.units import renamed_units
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict

_check = partial(grounding_verdict, similarity=PARAPHRASE_SIMILARITY)  # the signal present, as at run time


CODE_ZH = (
    '`format` 设为 `"json"` 时只保证输出是合法的 JSON，不保证包含你要的字段。\n\n'
    "```python\nimport requests\n\nresponse = requests.post(\n    'http://localhost:11434/api/generate',\n"
    "    json={'model': 'llama3.2', 'prompt': 'List three colours as JSON', 'format': 'json', 'stream': False},\n"
    "    timeout=60,\n)\nprint(response.json()['response'])\n```"
)
CODE_EN = (
    "A Modelfile `SYSTEM` line does not replace the chat history; it is only prepended to it.\n\n"
    "```text\nSYSTEM 你是一个只用中文回答问题的助手，回答要简短，不要使用列表，每次回答都要说明信息来自哪份文档，"
    "如果文档里没有答案就直接说不知道，不要编造任何内容。\n```"
)
TABLE_ZH = (
    "常用小模型：\n\n| 模型 | 上下文长度 | 说明 |\n|------|------|------|\n"
    "| phi3-mini | 4096 | 适合低内存笔记本 |\n| gemma2-9b | 8192 | 多语言能力较强 |\n| qwen2-1.5b | 32768 | 速度最快 |"
)
TABLE_EN = (
    "Small models:\n\n| Model | Context | Notes |\n|---|---|---|\n"
    "| phi3-mini | 4096 | fits low-memory laptops |\n| gemma2-9b | 8192 | strong multilingual ability |\n"
    "| qwen2-1.5b | 32768 | fastest of the three |"
)
AVOID_ZH = "把 OLLAMA_NUM_PARALLEL 设为 1，可以避免多个请求同时分配上下文内存而导致模型加载失败。"
AVOID_EN = "A small num_ctx prevents the KV cache from filling the GPU memory and crashing the runner."
CHECK_ZH = "排查时先确认服务是否在运行，再检查防火墙是否放行了 11434 端口。"
LABELS_EN = "Open the **Settings** window, choose **Advanced** and restart the app."
LABELS_ZH = "打开**设置**窗口，选择**高级**，然后重启应用。"
HEDGE_ZH = "量化到 Q4 之后，7B 模型的回答质量一般只会略有下降。"
HEDGE_EN = "Smaller models often ignore the system prompt when the context is long."
UNIT_ZH = "日志里的 latency 字段以微秒为单位记录每个请求的耗时。"
UNIT_EN = "The `elapsed` field of the log reports each request's time in milliseconds."
SCALE_EN = "Hosted embeddings cost about 0.1 dollars per million tokens."
WEBUI_ZH = "在 Open WebUI 的设置里填写 Ollama 的地址即可连接。"
KEY_EN = "A read-only key can do nothing except list models, so a leaked key can only list models."
KEY_ZH = "只读密钥不能删除模型文件，只能读取模型文件。"
LINES_EN = "Memory per copy:\n\n- **Small** models: about 2 GB per copy\n- **Large** models: about 8 GB per copy"
LINES_ZH = "每份占用：\n\n- 小模型：每份约占 2 GB\n- 大模型：每份约占 8 GB"
REPL_EN = "Inside `ollama run`, type `/set parameter num_ctx 8192` to change the window or `/show info` for details."


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # "avoid X" restated as "X will not happen": what is avoided is not affirmed
        ("把 OLLAMA_NUM_PARALLEL 设成 1，就不会有多个请求同时分配上下文内存，导致模型加载失败。", AVOID_ZH),
        ("With a small num_ctx the KV cache does not fill the GPU memory and crash the runner.", AVOID_EN),
        # 是不是 / 有没有 ask whether: they negate nothing
        ("先看服务是不是在运行，再看防火墙有没有放行 11434 端口。", CHECK_ZH),
        # a label the passage gives in its language, quoted in the answer's (translated, not invented)
        ("打开“设置”窗口，选择“高级”，然后重启应用。", LABELS_EN),
        ('Open the "Settings" window, pick "Advanced" and restart the app.', LABELS_ZH),
        # a hedge kept, or an absolute the passage sentence says too
        ("With a long context, smaller models frequently ignore the system prompt.", HEDGE_EN),
        ("量化到 Q4 以后，7B 模型的回答质量通常只是略微下降。", HEDGE_ZH),
        # the passage's unit, in either language
        ("The elapsed field gives each request's time in milliseconds.", UNIT_EN),
        ("日志中 latency 字段记录的是每个请求耗费的微秒数。", UNIT_ZH),
        ("elapsed 字段以毫秒为单位记录每个请求的耗时。", UNIT_EN),
        # a table row with its own cells, and two rows compared
        ("phi3-mini 的上下文长度为 4096，适合低内存笔记本。", TABLE_ZH),
        ("phi3-mini fits low-memory laptops and has a 4096-token context.", TABLE_EN),
        ("phi3-mini 是 4096，gemma2-9b 是 8192。", TABLE_ZH),
        # Latin names the Chinese passage uses
        ("在 Open WebUI 的设置里填上 Ollama 的地址就能连上。", WEBUI_ZH),
        # a quote whose sentence both negates and states a term, and a line restated as closely as a neighbour
        ("A read-only key can do nothing except list models, so a leaked key can only list models.", KEY_EN),
        ("只读密钥不能删除模型文件，只能读取模型文件。", KEY_ZH),
        ("Large models take about 8 GB per copy.", LINES_EN),
        ("大模型的话，每份约占 8 GB。", LINES_ZH),
        # slash commands the passage gives
        ("在 ollama run 里输入 /set parameter num_ctx 8192 就能改窗口大小。", REPL_EN),
        ("Type /show info inside ollama run to see the details.", REPL_EN),
    ],
)
def test_correct_answers_of_these_kinds_pass(answer: str, passage: str) -> None:
    verdict = _check(answer, passage)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        # a Chinese passage with an English code example is still Chinese: its contradiction is checked
        ("可以，format 设为 json 时既保证输出是合法的 JSON，也保证包含你要的字段。", CODE_ZH, "polarity"),
        ("Yes, the Modelfile SYSTEM line replaces the chat history.", CODE_EN, "polarity"),
        # a hedge dropped for an absolute
        ("Smaller models always ignore the system prompt when the context is long.", HEDGE_EN, "general: always"),
        ("量化到 Q4 之后，任何 7B 模型的回答质量都一定只会略有下降。", HEDGE_ZH, "general: 一定, 任何"),
        # a unit named in words, without a number
        ("The elapsed field reports each request's time in seconds.", UNIT_EN, "unit_name: s"),
        ("日志里的 latency 字段以毫秒为单位记录每个请求的耗时。", UNIT_ZH, "unit_name: ms"),
        ("Hosted embeddings cost about 0.1 dollars per billion tokens.", SCALE_EN, "unit_name: 1e9"),
        # a table row given another row's number or cell
        ("phi3-mini 的上下文长度是 8192。", TABLE_ZH, "row: phi3-mini, 8192"),
        ("phi3-mini has strong multilingual ability.", TABLE_EN, "row: phi3-mini, ability, multilingual, strong"),
        ("gemma2-9b 速度最快，适合低内存笔记本。", TABLE_ZH, "row: gemma2-9b"),
    ],
)
def test_wrong_answers_of_these_kinds_are_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(_check(answer, passage), evidence)


@pytest.mark.parametrize(
    ("answer", "passage", "name"),
    [
        # a Latin name in a Chinese answer that the Chinese passage never uses
        ("在 Open WebUI 的设置里填写 Ollama 的地址，再装上 LiteLLM 插件即可连接。", WEBUI_ZH, "LiteLLM"),
        ("在 Open WebUI 里开启 Direct Connections 后填写 Ollama 的地址即可。", WEBUI_ZH, "Direct Connections"),
        # a slash command the passage never gives, in either language
        ("在 ollama run 里输入 /resize 就能改窗口大小。", REPL_EN, "/resize"),
        ("Type /params inside ollama run to change the window.", REPL_EN, "/params"),
    ],
)
def test_names_the_passage_never_uses_are_caught(answer: str, passage: str, name: str) -> None:
    verdict = _check(answer, passage)
    assert verdict.fired and name in verdict.evidence, verdict.reason


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("为什么要给容器挂载数据卷？", "要给容器挂载数据卷，这就是要挂载数据卷的原因。"),
        ("为什么更新后要重启 Ollama 服务？", "更新后需要重启 Ollama 服务，这就是重启服务的原因。"),
        (
            "Why must the index be rebuilt after changing the embedding model?",
            "The index must be rebuilt after changing the embedding model; that is the reason it must be rebuilt.",
        ),
    ],
)
def test_a_why_question_echoed_as_its_own_reason_is_reasked(question: str, answer: str) -> None:
    chunk = Chunk(chunk_id="c1", source="doc.md", text="挂载数据卷可以让模型在容器删除后保留。", score=1.0, label="S1")
    ctx = GuardContext(question=question, chunks=(chunk,), answer=answer, citations=("S1",))
    verdict = AnswerRelevanceGuardrail().check(ctx)
    assert verdict.fired and "restates the question" in verdict.reason


def test_a_why_answer_with_its_reason_passes() -> None:
    chunk = Chunk(chunk_id="c1", source="doc.md", text="挂载数据卷可以让模型在容器删除后保留。", score=1.0, label="S1")
    ctx = GuardContext(
        question="为什么要给容器挂载数据卷？", chunks=(chunk,), answer="因为挂载数据卷后，删除容器模型也还在。", citations=("S1",)
    )
    assert not AnswerRelevanceGuardrail().check(ctx).fired


def test_the_new_checks_can_be_switched_off() -> None:
    answer = "Smaller models always ignore the system prompt when the context is long."
    assert not _check(answer, HEDGE_EN, check_overclaims=False).fired
    assert not _check("The elapsed field reports each request's time in seconds.", UNIT_EN, check_units=False).fired
    assert not _check("phi3-mini 的上下文长度是 8192。", TABLE_ZH, check_key_values=False).fired


def test_no_sentence_of_the_corpus_is_caught_against_its_own_section() -> None:
    """Self-generated supported answers: every sentence of data/docs quoted against its own section (tables and
    hedged sentences included). A quote is supported by definition, so none of these checks may fire on it."""
    docs = Path(__file__).resolve().parents[2] / "data" / "docs"
    fired = []
    for path in sorted(docs.glob("*.*")):
        for section in path.read_text(encoding="utf-8").split("\n## "):
            for sentence in sentences(section):
                found = overgeneralized(sentence, section, min_alignment=0.4, min_tokens=3)
                found += renamed_units(sentence, section) + borrowed_cells(sentence, section)
                found += contradictions(sentence, section, min_alignment=0.4, min_tokens=3)
                fired += [(path.name, c.kind, c.claim[:60], c.terms) for c in found]
    assert fired == []
