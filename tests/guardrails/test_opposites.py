"""Opposite words and changed units in an answer that restates a passage sentence (guardrails/opposites.py,
guardrails/units.py), through the grounding guardrail: what each catches, with its evidence, and the correct
paraphrases, quotes and cross-language answers each must let through. Passages are data/docs text (or written
like it); answers are written for these tests, or are tune-split items of data/eval/grounding.jsonl (never
report-split)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.claims import same_language
from guardrails.marking import NEGATION
from guardrails.opposites import opposite_terms
from guardrails.polarity import contradictions
from guardrails.relations import swapped_relations
from guardrails.sentences import sentences
from guardrails.units import changed_units, quantities
from tests.guardrails.cited import grounding_verdict

MAC = (
    "M 系列芯片的 CPU 和 GPU 共用同一块**统一内存**，因此“内存”就是“显存”。不过 macOS 默认只允许 GPU 使用总内存的"
    "一部分（大约 2/3 到 3/4），剩下的留给系统。"
)
RM = "`ollama rm qwen2.5:3b` deletes a model from disk. Layers shared with other models are kept until no model uses them."
SIZES = (
    "Ollama 官方给出的经验值是：运行 7B 模型至少需要 8 GB 内存，13B 模型需要 16 GB，30B 以上（如 33B）的模型需要 32 GB 或更多。"
)
KEEP_ALIVE = '`keep_alive` 决定请求结束后模型在内存中保留多久，默认 5 分钟（`"5m"`）。'
KEEP_ALIVE_EN = '`keep_alive` sets how long the model stays in memory after a request; the default is 5 minutes (`"5m"`).'
ENV = "环境变量必须在启动 ollama serve 之前设置，服务启动后再改不会生效。"
SSD = "建议放在 SSD 上，机械硬盘会让冷启动加载时间增加到数十秒。"
TOP_K = "`top_k` 40: only the k most likely tokens are considered. Lower values give more conservative text."
QUANT = "A larger model at Q4 usually answers better than a smaller model at Q8, and Q4 runs faster than Q8."
SCREEN = "Check user input before it reaches the model, and log every blocked request."
BITS = "量化位数越低，模型文件越小，占用内存越少，但质量也会下降。"


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        # a quantifier turned round (tune item grz067)
        ("可以，macOS 默认允许 GPU 使用全部内存。", MAC, "opposite: all/part, 全部, 一部分"),
        # an entity swapped for its counterpart
        ("ollama rm only unloads a model from memory.", RM, "opposite: memory/disk, memory, disk"),
        # a direction word
        ("机械硬盘会让冷启动加载时间减少到数十秒。", SSD, "opposite: increase/decrease, 减少, 增加"),
        # before/after, with the restated terms on the same sides
        ("环境变量必须在启动 ollama serve 之后设置。", ENV, "opposite: before/after, 之后, 之前"),
        ("Check user input after it reaches the model.", SCREEN, "opposite: before/after, after, before"),
        # at least / at most, or more / or less
        ("运行 7B 模型最多需要 8 GB 内存。", SIZES, "opposite: at least/at most, 最多, 至少"),
        ("30B 以下的模型需要 32 GB 内存。", SIZES, "opposite: above/below, 以下, 以上"),
        # a comparative with the same things on the same sides
        ("Higher values of top_k give more conservative text.", TOP_K, "opposite: more/less, Higher, Lower"),
        ("Q4 runs slower than Q8.", QUANT, "opposite: faster/slower, slower, faster"),
        # a correlation with one of its directions turned
        ("量化位数越高，模型文件越小，占用内存越少。", BITS, "opposite: more/less, 越高, 越低"),
    ],
)
def test_an_opposite_word_is_caught_with_its_evidence(answer: str, passage: str, evidence: str) -> None:
    verdict = grounding_verdict(answer, passage)
    assert verdict.fired
    assert evidence in verdict.evidence
    assert "turns a word into its opposite" in verdict.reason
    found = [c for c in verdict.details["contradictions"] if c["kind"] == "opposite"]
    assert found and found[0]["claim"] and found[0]["sentence"]  # both spans are recorded
    assert evidence not in grounding_verdict(answer, passage, check_opposites=False).evidence


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # negated like the passage: "不会删除" restates "保留", "not slower" restates "faster"
        ("ollama rm 不会删除被其他模型共享的层。", "ollama rm 删除模型时，被其他模型共享的层会保留。"),
        ("ollama rm does not keep the model on disk.", RM),
        ("Q4 does not run slower than Q8.", QUANT),
        # the ordering word turned round with its two sides: the same fact
        ("设置好环境变量之后再启动 ollama serve。", ENV),
        ("Q8 runs slower than Q4.", QUANT),
        ("A smaller model at Q8 usually answers worse than a larger model at Q4.", QUANT),
        ("Once the input has been checked, it reaches the model, and every blocked request is logged.", SCREEN),
        # the same sense in other words
        ("macOS 默认只让 GPU 用总内存的一部分，剩下的留给系统。", MAC),
        ("运行 7B 模型起码要 8 GB 内存，也就是至少 8 GB。", SIZES),
        ("30B 以上的模型，例如 33B，需要 32 GB 或更多内存。", SIZES),
        ("Lower top_k values give more conservative text.", TOP_K),
        ("`ollama rm` removes a model from disk; layers other models still use are kept.", RM),
        ("机械硬盘会让冷启动的加载时间增加到几十秒，所以建议放在 SSD 上。", SSD),
        # a correlation restated from its other end (every direction turned)
        ("Higher top_k values give less conservative text.", TOP_K),
        ("量化位数越高，模型文件越大，占用内存越多，质量也会更好。", BITS),
        # a sentence that names both senses decides nothing
        ("用 SSD 会减少冷启动时间，机械硬盘则会让加载时间增加到数十秒。", SSD),
        # verbatim quotes
        *((s, p) for p in (MAC, RM, SIZES, ENV, SSD, TOP_K, QUANT, SCREEN, BITS) for s in sentences(p)),
    ],
)
def test_a_correct_paraphrase_or_quote_passes(answer: str, passage: str) -> None:
    verdict = grounding_verdict(answer, passage)
    assert not [c for c in verdict.details["contradictions"] if c["kind"] in ("opposite", "unit")], verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("The model stays in memory for 5 minutes after a request by default.", KEEP_ALIVE),
        ("请求结束后，模型默认在内存里保留 5 分钟。", KEEP_ALIVE_EN),
        ("ollama rm 会把模型从磁盘上删除，其他模型仍在用的层会保留。", RM),
    ],
)
def test_a_correct_cross_language_answer_passes(answer: str, passage: str) -> None:
    assert not grounding_verdict(answer, passage, similarity=0.8).fired


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        ("keep_alive 默认是 5 秒。", KEEP_ALIVE, "unit: 5 s, 5 min"),
        ("运行 7B 模型至少需要 8 MB 内存。", SIZES, "unit: 8 MB, 8 GB"),
        ("By default the model stays in memory for 5 hours after a request.", KEEP_ALIVE_EN, "unit: 5 h, 5 min"),
        # units are read in both languages, so the check works across them
        ("请求结束后，模型默认在内存里保留 5 秒。", KEEP_ALIVE_EN, "unit: 5 s, 5 min"),
    ],
)
def test_a_number_in_another_unit_is_caught(answer: str, passage: str, evidence: str) -> None:
    verdict = grounding_verdict(answer, passage, similarity=0.8)
    assert verdict.fired and evidence in verdict.evidence
    assert "gives a number in another unit" in verdict.reason
    assert evidence not in grounding_verdict(answer, passage, similarity=0.8, check_units=False).evidence


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("keep_alive 默认 5 分钟，即 5 min。", KEEP_ALIVE),
        ("The default keep_alive is 5 min.", KEEP_ALIVE_EN),
        # the passage gives the number in the answer's unit too, elsewhere
        ("重试前等待 5 秒。", "重试前等待 5 秒；模型空闲 5 分钟后卸载。"),
        # a model size (7B) is not a size in bytes, and a version is not a number with a unit
        ("7B 模型需要 8 GB 内存。", SIZES),
        ("qwen2.5 runs in 8 GB.", "qwen2.5:3b runs in 8 GB of RAM; 5 minutes of idle time unloads it."),
    ],
)
def test_the_same_quantity_in_other_words_passes(answer: str, passage: str) -> None:
    assert changed_units(answer, passage) == []


def test_quantities_read_both_languages() -> None:
    assert quantities("默认 5 分钟，最多 24 小时，需要 8 GB，7B 模型，3 steps") == [
        ("5", "time", "min"),
        ("24", "time", "h"),
        ("8", "size", "GB"),
    ]
    assert quantities("wait 5 minutes, 30s or 1.5 GiB") == [("5", "time", "min"), ("30", "time", "s"), ("1.5", "size", "GB")]


WEBUI = "Open WebUI 通过 HTTP API 调用 Ollama，模型本身仍由 Ollama 加载和运行。"
WEBUI_EN = "Open WebUI calls Ollama through its HTTP API; the models are still loaded and run by Ollama."
MODELFILE = "A Modelfile is the recipe Ollama uses to build a model."


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        ("Ollama 通过 HTTP API 调用 Open WebUI。", WEBUI, "relation: 调用, ollama, open, webui"),
        ("Ollama calls Open WebUI through its HTTP API.", WEBUI_EN, "relation: calls, ollama, open, webui"),
        ("A model is the recipe Ollama uses to build a Modelfile.", MODELFILE, "relation: uses, model, modelfile"),
    ],
)
def test_a_relation_the_other_way_round_is_caught(answer: str, passage: str, evidence: str) -> None:
    verdict = grounding_verdict(answer, passage)
    assert verdict.fired and evidence in verdict.evidence
    assert "swaps the two things related in" in verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Open WebUI 通过 HTTP API 调用 Ollama。", WEBUI),
        ("Ollama 被 Open WebUI 通过 HTTP API 调用，模型仍由 Ollama 运行。", WEBUI),  # a passive
        ("Through its HTTP API, Open WebUI calls Ollama.", WEBUI_EN),
        ("Ollama is called by Open WebUI over HTTP, and Ollama still runs the models.", WEBUI_EN),
        ("To build a model, Ollama uses a Modelfile as its recipe.", MODELFILE),
        ("Ollama builds a model from a Modelfile, which is its recipe.", MODELFILE),
        *((s, p) for p in (WEBUI, WEBUI_EN, MODELFILE) for s in sentences(p)),
    ],
)
def test_a_relation_restated_the_same_way_passes(answer: str, passage: str) -> None:
    assert swapped_relations(answer, passage, min_alignment=0.4) == []
    assert not grounding_verdict(answer, passage).fired


@pytest.mark.parametrize(
    ("answer", "passage", "same"),
    [
        # a Chinese answer full of the passage's names is still Chinese, so the checks above compare it
        ("Ollama 通过 HTTP API 调用 Open WebUI。", WEBUI, True),
        ("Open WebUI 通过 HTTP API 调用 Ollama。", WEBUI, True),
        # English against Chinese stays apart
        ("Ollama calls Open WebUI through the HTTP API.", WEBUI, False),
        ("Ollama 会把整段对话发送给 Open WebUI 的界面。", WEBUI_EN, False),
        ("Open WebUI calls Ollama through its HTTP API.", WEBUI_EN, True),
    ],
)
def test_the_language_of_an_answer_is_that_of_its_own_words(answer: str, passage: str, same: bool) -> None:
    assert same_language(answer, passage) is same


AUTH = "Ollama 默认无身份验证，开放到局域网前要配好防火墙或反向代理。"
OPTIONAL = "`num_ctx` 为非必填参数，缺省时使用模型自带的上下文长度。"


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Ollama 默认有身份验证，可以直接开放到局域网。", AUTH),
        ("num_ctx 是必填参数，缺省时会报错。", OPTIONAL),
    ],
)
def test_chinese_wu_and_fei_negate(answer: str, passage: str) -> None:
    assert [c.kind for c in contradictions(answer, passage, min_alignment=0.4, min_tokens=3)] == ["polarity"]


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Ollama 默认没有身份验证，开放到局域网前要先配好防火墙。", AUTH),
        ("Ollama 默认不做身份验证，所以开放前要配防火墙或反向代理。", AUTH),
        ("num_ctx 不是必填参数，缺省时使用模型自带的上下文长度。", OPTIONAL),
    ],
)
def test_chinese_negations_in_other_words_pass(answer: str, passage: str) -> None:
    assert contradictions(answer, passage, min_alignment=0.4, min_tokens=3) == []


@pytest.mark.parametrize("text", ["无线网络", "无论用哪个模型", "有无 GPU 都能运行", "非常快", "无锡", "战国无双"])
def test_words_holding_wu_or_fei_are_not_negations(text: str) -> None:
    assert NEGATION.search(text) is None


def test_no_sentence_of_the_corpus_is_turned_against_its_own_paragraph() -> None:
    """Self-generated supported answers: every sentence of data/docs quoted against its own paragraph."""
    docs = Path(__file__).resolve().parents[2] / "data" / "docs"
    fired = []
    for path in sorted(docs.glob("*.*")):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n"):
            for sentence in sentences(paragraph):
                found = opposite_terms(sentence, paragraph, min_alignment=0.4, min_tokens=3)
                found += changed_units(sentence, paragraph)
                found += swapped_relations(sentence, paragraph, min_alignment=0.4)
                fired += [(path.name, c.claim, c.terms) for c in found]
    assert fired == []
