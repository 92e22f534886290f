"""Output checks, issue #11 section 4 (helper h123): a modal turned into its negation within one clause of a longer
sentence (可以连接 against 无法连接, "can reach" against "cannot reach"), converses read across a second clause or on
the time scale ("因此加载更慢", "takes longer"), opposite words missing from the lexicon (冷/热启动, 长一些/短一些, 开启/
关闭), and correct answers blocked for writing a passage's number as digits ("3 attempts" for "about three"), a
common acronym for the passage's plain words (RAM for memory) or a command with its body elided (`-d '{...}'`).

Every passage and answer here is written for this file (none is an item of data/eval); passages are data/docs text
or written like it. Each case stands for a general cause, in Chinese and English.
"""

from __future__ import annotations

from functools import partial

import pytest

from guardrails.modals import flipped_modals
from guardrails.paired_senses import swapped_senses
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict
from tests.guardrails.corpus import corpus_files, section_quotes

_check = partial(grounding_verdict, similarity=PARAPHRASE_SIMILARITY)  # the signal present, as at run time

PORT_ZH = (
    "Ollama 默认监听 11434 端口，并且只绑定在本机回环地址上，也就是 `127.0.0.1:11434`。这意味着同一台机器上的程序可以通过 "
    "`http://127.0.0.1:11434` 或 `http://localhost:11434` 访问，而局域网中的其他电脑默认无法连接。"
)
PORT_EN = (
    "The server listens on port 11434. Out of the box it binds only to the loopback address, so the default address "
    "is `127.0.0.1:11434` and other machines on the network cannot reach it."
)
RESTART_ZH = "端口被占用通常是因为 systemd 服务已经启动了一个 Ollama，此时不需要再手动执行 `ollama serve`。"
WINDOWS_EN = "Run `OllamaSetup.exe`. It installs into your user profile and does not need administrator rights."
CLEAN_ZH = "即使不用 Schema，也可以先做一些清理，但清理只是补救，不能替代校验。"


@pytest.mark.parametrize(
    ("answer", "passage", "modal"),
    [
        # one verb flipped in the second clause of a sentence the polarity check compares whole
        ("Ollama 默认监听 11434 端口，并且绑定在所有网卡上，局域网中的其他电脑可以直接连接。", PORT_ZH, "can"),
        ("Ollama 默认监听 11434 端口，但同一台机器上的程序无法访问。", PORT_ZH, "can"),
        ("端口被占用时，需要再手动执行 ollama serve 启动一个。", RESTART_ZH, "need"),
        ("The default address is 127.0.0.1:11434, and other machines on the network can reach it.", PORT_EN, "can"),
        ("It installs into your user profile, but it needs administrator rights.", WINDOWS_EN, "need"),
    ],
)
def test_a_modal_turned_into_its_negation_is_caught(answer: str, passage: str, modal: str) -> None:
    assert_caught(_check(answer, passage), f"modal: {modal}")


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # the same stance in other words
        ("本机的程序可以用 http://localhost:11434 访问，局域网里的其他电脑默认不能连接。", PORT_ZH),
        ("局域网里其他电脑不能访问它，只有本机程序可以访问。", PORT_ZH),
        ("这时不用再手动运行 ollama serve。", RESTART_ZH),
        ("清理不能替代校验，只能算补救。", CLEAN_ZH),
        ("Other machines on the network can't reach it by default; it binds only to loopback.", PORT_EN),
        ("It goes into your user profile, so you don't need administrator rights.", WINDOWS_EN),
        # a condition or a double negation says what the negated modal says
        ("只有本机程序能访问，局域网中的其他电脑要改监听地址才能连接。", PORT_ZH),
        ("不改监听地址的话，局域网中的其他电脑不会连得上。", PORT_ZH),
    ],
)
def test_the_same_modal_stance_in_other_words_passes(answer: str, passage: str) -> None:
    assert flipped_modals(answer, passage, min_alignment=0.4) == []
    verdict = _check(answer, passage)
    assert not verdict.fired, verdict.reason


def test_no_sentence_of_the_corpus_flips_a_modal_of_its_section() -> None:
    """Self-generated supported answers: every sentence of data/docs against its own section and against the
    section without its own paragraph (its nearest sentences, which it does not restate): none may fire."""
    fired = [
        (q.file, c.claim, c.sentence) for q in section_quotes() for c in flipped_modals(q.sentence, q.support, min_alignment=0.4)
    ]
    assert fired == []


LOAD_ZH = "Q4 比 Q8 小，而且加载更快。"
LOAD_EN = "Q4 loads faster than Q8."
WARM_ZH = "读取超时设 60–120 秒，需要覆盖冷启动加载模型的时间。"
KEEP_ZH = "服务启动时可以发送一个只带 `model` 字段的请求来预热，并把 `keep_alive` 设得长一些。"
FLAG_ZH = "调试时开启 `OLLAMA_DEBUG` 可以看到每个请求的详细日志。"


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # the comparative in a clause that goes on from the comparison before it: its sides are that comparison's
        ("Q8 比 Q4 大，因此加载更慢。", LOAD_ZH),
        # speed said as time taken
        ("Q8 takes longer to load than Q4.", LOAD_EN),
        ("Q8 模型加载比 Q4 模型更耗时。", "Q4 模型比 Q8 模型加载更快。"),
    ],
)
def test_a_converse_is_accepted(answer: str, passage: str) -> None:
    verdict = _check(answer, passage)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        ("Q4 比 Q8 大，因此加载更慢。", LOAD_ZH, "opposite: faster/slower"),
        ("Q4 takes longer to load than Q8.", LOAD_EN, "opposite: faster/slower"),
        ("Q4 模型比 Q8 模型加载更耗时。", "Q4 模型比 Q8 模型加载更快。", "opposite: faster/slower"),
        # opposites the lexicon lacked
        ("读取超时设 60–120 秒，需要覆盖热启动加载模型的时间。", WARM_ZH, "opposite: cold/warm"),
        ("服务启动时可以发送一个只带 model 字段的请求来预热，并把 keep_alive 设得短一些。", KEEP_ZH, "opposite: more/less"),
        ("调试时关闭 OLLAMA_DEBUG 可以看到每个请求的详细日志。", FLAG_ZH, "opposite: enable/disable"),
    ],
)
def test_the_opposite_with_the_same_sides_is_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(_check(answer, passage), evidence)


RETRY_EN = "Use exponential backoff with jitter, e.g. 0.5 s, 1 s, 2 s, and cap the number of attempts at about three."
MEMORY_EN = "The first request after a model was unloaded must read several gigabytes from disk into memory."
SEED_EN = "With the default `temperature` of 0.8 the model samples from a probability distribution."
GENERATE_EN = '```bash\ncurl http://localhost:11434/api/generate -d \'{\n  "model": "qwen2.5:3b",\n  "stream": false\n}\'\n```'


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Back off exponentially with jitter and stop after 3 attempts.", RETRY_EN),
        ("After an unload the first request must read several gigabytes from disk into RAM.", MEMORY_EN),
        ("At the default temperature of 0.8 the LLM samples from a probability distribution.", SEED_EN),
        ("For example: `curl http://localhost:11434/api/generate -d '{...}'`.", GENERATE_EN),
    ],
)
def test_a_correct_answer_in_its_own_notation_passes(answer: str, passage: str) -> None:
    verdict = _check(answer, passage)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        ("Back off exponentially with jitter and stop after 5 attempts.", RETRY_EN, "5"),
        ("The first request after an unload must read several gigabytes from disk into VRAM.", MEMORY_EN, "VRAM"),
        ("Convert the model to ONNX first.", SEED_EN, "ONNX"),
        ("For example: `curl http://localhost:11434/api/chat -d '{...}'`.", GENERATE_EN, "curl http://localhost:11434/api/chat"),
    ],
)
def test_what_the_passage_does_not_give_is_still_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(_check(answer, passage), evidence)


TOOLS_ZH = "并不是所有模型都支持工具调用，使用前要查看模型说明。"
TOOLS_EN = "Not every model supports tool calling; check the model card first."
NONE_ZH = "这些参数都不会影响生成速度，只影响输出内容。"
PARAMS_EN = "Most parameters can be set in the Modelfile with a `PARAMETER` line."


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # a negated universal says that some do: "some" restates it, and so does another negated universal
        ("只有部分模型支持工具调用。", TOOLS_ZH),
        ("不是每个模型都支持工具调用。", TOOLS_ZH),
        ("Only some models support tool calling.", TOOLS_EN),
        ("Not all models support tool calling, so check the model card.", TOOLS_EN),
    ],
)
def test_a_negated_universal_restated_as_some_passes(answer: str, passage: str) -> None:
    verdict = _check(answer, passage)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        ("所有模型都不支持工具调用。", TOOLS_ZH, "scope"),
        ("所有模型都支持工具调用。", TOOLS_ZH, "scope"),
        ("No model supports tool calling.", TOOLS_EN, "scope"),
        ("Every model supports tool calling.", TOOLS_EN, "scope"),
        ("这些参数不都会影响生成速度。", NONE_ZH, "scope"),
        # "most" hedges like "usually"
        ("Every parameter can be set in the Modelfile with a PARAMETER line.", PARAMS_EN, "general"),
    ],
)
def test_all_or_none_for_some_is_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(_check(answer, passage), evidence)


CHUNKS_ZH = "块太大，检索结果里混入大量无关内容；块太小，又会丢失上下文。"
TOPK_ZH = "`top-k` 通常取 3–5：太小容易漏掉答案，太大会挤占上下文并引入干扰。"
VALUES_EN = "Higher values give more varied text, lower values more focused text."
CHUNKS_EN = "If chunks are too large, retrieval pulls in a lot of irrelevant text; if they are too small, context is lost."


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("块太大会丢失上下文，块太小会混入大量无关内容。", CHUNKS_ZH),
        ("top-k 太大容易漏掉答案，太小会挤占上下文。", TOPK_ZH),
        ("Chunks that are too large lose context, while chunks that are too small pull in irrelevant text.", CHUNKS_EN),
    ],
)
def test_what_is_said_of_two_opposites_swapped_is_caught(answer: str, passage: str) -> None:
    assert_caught(_check(answer, passage), "paired: more/less")


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("块太小会丢失上下文，块太大会混入无关内容。", CHUNKS_ZH),
        # the predicate first: 无关 (irrelevant) is a word, not a negation of 关
        ("混入大量无关内容是因为块太大，丢失上下文是因为块太小。", CHUNKS_ZH),
        ("top-k 太小会漏答案，太大则会挤占上下文、引入干扰。", TOPK_ZH),
        ("Chunks that are too small lose context, while chunks that are too large pull in irrelevant text.", CHUNKS_EN),
        # the two halves of a correlation in the other order (read in order, higher met lower: an "opposite")
        ("Lower values give more focused text and higher values more varied text.", VALUES_EN),
    ],
)
def test_what_is_said_of_two_opposites_kept_in_pairs_passes(answer: str, passage: str) -> None:
    verdict = _check(answer, passage)
    assert not verdict.fired, verdict.reason


def test_no_paragraph_of_the_corpus_swaps_the_pairs_of_its_section() -> None:
    """Every sentence and every paragraph of data/docs against its own section (and the sentence against the section
    without its paragraph): nothing pairs two opposites the other way round."""
    fired = [(q.file, q.sentence) for q in section_quotes() if swapped_senses(q.sentence, q.support)]
    for _, text in corpus_files():
        for section in text.split("\n## "):
            fired += [(section[:40], p) for p in section.split("\n\n") if swapped_senses(p, section)]
    assert fired == []


RAM_EN = (
    "A 7B model at Q4_K_M therefore needs around 5 GB in practice, while the same model at Q8_0 needs 8 GB or more. "
    "Example: on a machine with **8 GB of RAM**, Q4_K_M is the right choice for a 7B model."
)
SIZES_ZH = "7B 模型需要 8 GB，13B 模型需要 16 GB，30B 需要 32 GB。"


def test_one_clause_joining_two_clauses_of_the_passage_keeps_its_numbers() -> None:
    verdict = _check("On an 8 GB machine pick Q4_K_M for a 7B model.", RAM_EN)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        ("On a machine with 16 GB of RAM, Q4_K_M is the right choice for a 7B model.", RAM_EN, "16"),
        # two neighbouring clauses give 13 and 32, and 16 and 30 besides: still another number
        ("13B 模型需要 32 GB 内存。", SIZES_ZH, "number: 32"),
    ],
)
def test_another_number_is_still_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(_check(answer, passage), evidence)
