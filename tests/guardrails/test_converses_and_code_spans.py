"""Two false-block sources of the grounding checks. (1) The comparison-order check (guardrails/comparisons.py) read a
correct converse, the two sides swapped AND the comparative turned into its opposite ("Q8 is slower than Q4" for
"Q4 is faster than Q8", "Q8 比 Q4 慢" for "Q4 比 Q8 快"), as a swapped comparison; the same comparative with the sides
swapped must still be caught. (2) The sentence and clause splitter (guardrails/polarity.py) cut inside code spans
(`"stream": false`) and stripped a leading dash or backtick, so names at a sentence's edges were garbled ("-v" read
as "v`"). Passages are data/docs text or written like it; answers are written for these tests, or tune-split items
of data/eval (never report-split)."""

from __future__ import annotations

import pytest

from guardrails.comparisons import swapped_comparisons
from guardrails.relations import swapped_relations
from guardrails.sentences import clauses, sentences
from tests.guardrails.cited import grounding_verdict
from tests.guardrails.corpus import corpus_files, section_quotes

QUANT = "At a fixed memory budget, a larger model at Q4 usually answers better than a smaller model at Q8."
QUANT_ZH = "在同样的内存预算下，Q4 量化的大模型通常比 Q8 量化的小模型回答得更好。"
SIZES = "Larger models answer better than smaller ones."
SPEED = "Q4 runs faster than Q8 and uses less memory than Q8."
FAST_ZH = "Q4 模型比 Q8 模型快。"
MEM_ZH = "7B 模型占用的内存比 13B 模型少。"
QUALITY_ZH = "大模型的回答质量比小模型好。"
PRECISION_ZH = "Q4 的精度低于 Q8。"
NOT_AS_ZH = "Q4 的精度不如 Q8。"


def _order(answer: str, passage: str) -> bool:
    return bool(swapped_comparisons(answer, passage, min_alignment=0.4))


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Q8 runs slower than Q4.", SPEED),
        ("Q8 uses more memory than Q4.", SPEED),  # the passage's second comparison, on the answer's scale
        ("At a fixed memory budget, a smaller model at Q8 usually answers worse than a larger model at Q4.", QUANT),
        ("Smaller models answer worse than larger ones.", SIZES),
        ("Smaller models are weaker than larger ones.", "Larger models are stronger than smaller ones."),
        ("Smaller models are not better than larger ones.", SIZES),  # a negated comparative turns it too
        ("Q8 模型比 Q4 模型慢。", FAST_ZH),
        ("Q8 比 Q4 慢得多。", "Q4 比 Q8 快得多。"),  # 得多 says how much, not which way
        ("Q8 比 Q4 慢不少。", "Q4 比 Q8 快不少。"),
        ("Q8 模型慢于 Q4 模型。", FAST_ZH),  # another marker, the same scale
        ("Q8 模型不比 Q4 模型快。", FAST_ZH),
        ("13B 模型占用的内存比 7B 模型多。", MEM_ZH),
        ("小模型的回答质量比大模型差。", QUALITY_ZH),  # 小 and 大 name the sides: the comparative is 差
        ("同样的内存预算下，Q8 量化的小模型回答通常不如 Q4 量化的大模型。", QUANT_ZH),
        ("Q8 的精度高于 Q4。", PRECISION_ZH),
        ("Q8 的精度优于 Q4。", NOT_AS_ZH),
    ],
)
def test_a_converse_is_not_a_swapped_comparison(answer: str, passage: str) -> None:
    assert not _order(answer, passage)


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Q8 runs faster than Q4.", SPEED),
        ("Q8 uses less memory than Q4.", SPEED),
        ("At a fixed memory budget, a smaller model at Q8 usually answers better than a larger model at Q4.", QUANT),
        ("Smaller models answer better than larger ones.", SIZES),
        ("Smaller models are not worse than larger ones.", SIZES),  # turned twice: the same way round
        ("Q8 模型比 Q4 模型快。", FAST_ZH),
        ("Q8 模型快于 Q4 模型。", FAST_ZH),
        ("13B 模型占用的内存比 7B 模型少。", MEM_ZH),
        ("小模型的回答质量比大模型好。", QUALITY_ZH),
        ("同样的内存预算下，Q8 量化的小模型通常比 Q4 量化的大模型回答得更好。", QUANT_ZH),
        ("Q8 的精度低于 Q4。", PRECISION_ZH),
        ("Q8 的精度不如 Q4。", NOT_AS_ZH),
    ],
)
def test_the_same_comparative_with_the_sides_swapped_is_caught(answer: str, passage: str) -> None:
    assert _order(answer, passage)


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("At a fixed memory budget, a smaller model at Q8 usually answers worse than a larger model at Q4.", QUANT),
        ("Q8 runs slower than Q4.", SPEED),
        ("Q8 uses more memory than Q4.", SPEED),
        ("Q8 模型比 Q4 模型慢。", FAST_ZH),
        ("同样的内存预算下，Q8 量化的小模型回答通常不如 Q4 量化的大模型。", QUANT_ZH),
    ],
)
def test_grounding_accepts_a_converse(answer: str, passage: str) -> None:
    assert not grounding_verdict(answer, passage).fired


def test_grounding_still_rejects_a_swapped_comparison() -> None:
    verdict = grounding_verdict("Q8 runs faster than Q4.", SPEED)
    assert verdict.fired and "swaps the comparison" in verdict.reason


def test_code_spans_are_never_split_and_keep_their_names_whole() -> None:
    text = (
        "- `-v` prints the version. Run `ollama run qwen2.5:0.5b` first. "
        'Send `"stream": false` to get one object; call `127.0.0.1:11434`: it answers.'
    )
    assert sentences(text) == [
        "`-v` prints the version.",
        "Run `ollama run qwen2.5:0.5b` first.",
        'Send `"stream": false` to get one object;',
        "call `127.0.0.1:11434`:",
        "it answers.",
    ]
    assert clauses('`-1` 表示一直常驻，`"format": "json"`：只保证输出是合法 JSON') == [
        "`-1` 表示一直常驻",
        '`"format": "json"`：只保证输出是合法 JSON',
    ]
    assert sentences("查看状态 | `sudo systemctl status ollama` |") == ["查看状态 | `sudo systemctl status ollama`"]


def test_layout_at_the_edges_is_still_removed() -> None:
    assert sentences("## Install\n- item one\n---\n```bash\nollama serve\n```\n| a | b |\n|---|:---:|") == [
        "Install",
        "item one",
        "ollama serve",
        "a | b",
    ]
    assert sentences("> **Note** A stray ` mark") == ["Note** A stray ` mark"]
    assert sentences("--gpus=all exposes every GPU.") == ["--gpus=all exposes every GPU."]  # a flag, not a list dash
    assert sentences("`ollama serve") == ["ollama serve"]  # a backtick that opens no code span


def test_grounding_quotes_the_restated_sentence_with_its_code_whole() -> None:
    """g2z042 (tune): the reason quoted the cited sentence cut inside its code span, as “"json"`：只保证…”."""
    passage = '1. `"format": "json"`：只保证输出是合法 JSON，不保证字段。\n2. 传入 JSON Schema：输出会被约束为符合该结构。'
    verdict = grounding_verdict('可以，"format": "json" 既保证输出是合法 JSON，也保证需要的字段都在。', passage)
    assert verdict.fired
    assert '“`"format": "json"`：只保证输出是合法 JSON，不保证字段。”' in verdict.reason


def test_no_sentence_of_the_corpus_is_caught_against_its_own_section() -> None:
    """Self-generated supported answers: every sentence of data/docs quoted against its own section and against the
    section without its own paragraph. A quote is supported by definition: the comparison and relation checks must
    not fire on it, whichever sentence of the section it aligns with."""
    fired = []
    for quote in section_quotes():
        found = swapped_comparisons(quote.sentence, quote.support, min_alignment=0.4)
        found += swapped_relations(quote.sentence, quote.support, min_alignment=0.4)
        fired += [(quote.file, c.kind, c.claim[:60], c.terms) for c in found]
    assert fired == []


def test_every_code_span_of_the_corpus_stays_whole() -> None:
    """No sentence or clause of data/docs holds an unbalanced backtick: no code span is cut or loses a backtick."""
    broken = []
    for name, text in corpus_files():
        broken += [(name, piece) for piece in sentences(text) + clauses(text) if piece.count("`") % 2]
    assert broken == []
