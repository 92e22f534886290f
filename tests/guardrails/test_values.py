"""Numbers in words, values rebound to another name, and a yes that affirms what the restated sentence negates,
in Chinese and English: what each finds, and the paraphrases each must let through. Passages are data/docs text;
answers are written for these tests or are tune-split items of data/eval/grounding.jsonl (never report-split)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.base import Chunk, GuardContext
from guardrails.grounding import GroundingGuardrail
from guardrails.polarity import contradictions
from guardrails.sentences import sentences
from guardrails.values import all_numbers, rebound_values, spelled_numbers, zh_value

DEFAULTS = "`temperature` 0.8，`top_k` 40，`top_p` 0.9，`repeat_penalty` 1.1，`num_predict` -1（不限制生成长度）。"
RETRY = "重试采用指数退避加随机抖动，例如等待 1 秒、2 秒、4 秒，总次数不超过 3 次。"
SEED = (
    "Setting `temperature` to 0 and a fixed `seed` makes runs far more repeatable, but not perfectly: different "
    "hardware, batch sizes or Ollama versions can still change the output."
)
MAC = "在 macOS 上，Docker 容器无法使用 Apple Silicon 的 Metal GPU，只能跑 CPU，因此 Mac 上建议直接安装原生应用。"


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("两", 2), ("五", 5), ("十", 10), ("十二", 12), ("二十", 20), ("三百五十", 350), ("一千零二十四", 1024), ("两万", 20000)],
)
def test_zh_value(numeral: str, value: int) -> None:
    assert zh_value(numeral) == value


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("重试五次就放弃", ["5"]),
        ("等两秒再试", ["2"]),
        ("重试三到五次", ["3", "5"]),
        ("Wait two to five seconds.", ["2", "5"]),
        ("大约十二 GB", ["12"]),
        ("Retry three times, then wait twenty seconds.", ["3", "20"]),
        # one / 一 count nothing, and numerals inside words or vague ranges are not numbers
        ("重新跑一次安装脚本，统一设置", []),
        ("It is one of the options; a hundreds-strong crowd.", []),
        ("两三次，十几秒，万一失败，三思而行", []),
        # a count of listed things is the answer's own summary, not a value: no unit, no number
        ("有两种方法，分三个步骤，取三到五个", []),
        ("There are two options and three steps.", []),
        ("默认 5 分钟", []),  # digits are text_numbers.numbers()'s job
    ],
)
def test_spelled_numbers(text: str, found: list[str]) -> None:
    assert spelled_numbers(text) == found


def test_all_numbers_reads_digits_and_words() -> None:
    assert all_numbers("总次数不超过三次，等待 1 秒") == {"3", "1"}


@pytest.mark.parametrize(
    ("answer", "rebound"),
    [
        ("temperature 默认是 0.9。", ("temperature", "0.9", "0.8")),  # grz064 (tune): 0.9 is top_p's value
        ("The default top_k is 1.1.", ("top_k", "1.1", "40")),
        ("repeat_penalty 默认 40，调高可以减少重复。", ("repeat_penalty", "40", "1.1")),
        # the passage's own value, another name's clause, or no number at all: nothing rebound
        ("temperature 默认是 0.8，top_p 默认是 0.9。", None),
        ("The default temperature is 0.8.", None),
        ("temperature 越低输出越稳定。", None),
        ("num_predict 默认是 -1，不限制长度。", None),
    ],
)
def test_rebound_values(answer: str, rebound: tuple[str, ...] | None) -> None:
    found = rebound_values(answer, DEFAULTS)
    assert [c.terms for c in found] == ([rebound] if rebound else [])
    assert all(c.kind == "value" for c in found)


def test_a_value_stated_in_prose_for_the_name_is_not_rebound() -> None:
    support = DEFAULTS + "做信息抽取时可以把 temperature 设为 0，让输出更稳定。"
    assert rebound_values("把 temperature 设为 0 可以让输出更稳定。", support) == []


def _kinds(answer: str, support: str, lead_flips: int = 1) -> list[tuple[str, tuple[str, ...]]]:
    found = contradictions(answer, support, min_alignment=0.4, min_tokens=3, lead_flips=lead_flips)
    return [(c.kind, c.terms) for c in found]


@pytest.mark.parametrize(
    ("answer", "support", "affirmed"),
    [
        # gre054 (tune): a yes, and "perfectly" stated plainly where the passage says "not perfectly"
        ("Yes, temperature 0 with a fixed seed makes the output perfectly identical on any hardware.", SEED, True),
        ("可以，macOS 上的 Docker 容器能用 GPU 加速。", MAC, True),
        # the same claims without the yes: one flipped term is not enough
        ("Temperature 0 with a fixed seed makes the output perfectly identical on any hardware.", SEED, False),
        ("macOS 上的 Docker 容器能用 GPU 加速。", MAC, False),
        # a yes whose sentence negates something itself, and a no, are not affirmations
        ("Yes, but temperature 0 with a fixed seed is not perfectly repeatable on other hardware.", SEED, False),
        ("No, temperature 0 with a fixed seed is far more repeatable but not perfectly.", SEED, False),
        ("不能，macOS 上的 Docker 容器用不了 Metal GPU，只能跑 CPU。", MAC, False),
        # a yes that restates what the passage affirms
        ("Yes, a fixed seed with temperature 0 makes runs far more repeatable.", SEED, False),
        ("可以，Mac 上建议直接安装原生应用。", MAC, False),
    ],
)
def test_a_yes_affirming_a_negated_term(answer: str, support: str, affirmed: bool) -> None:
    assert ("affirmed" in [k for k, _ in _kinds(answer, support)]) is affirmed


def test_lead_flips_at_two_is_the_plain_rule() -> None:
    assert _kinds("可以，macOS 上的 Docker 容器能用 GPU 加速。", MAC, lead_flips=2) == []


def _check(answer: str, text: str, **params: object):
    chunk = Chunk(chunk_id="a", source="doc.md", label="S1", score=0.8, text=text)
    return GroundingGuardrail(**params).check(GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",)))


@pytest.mark.parametrize(
    ("answer", "support", "unsupported", "digits_only"),
    [
        ("重试最多五次，每次等待时间翻倍。", RETRY, ["5"], []),
        ("Retry at most five times with exponential backoff.", RETRY, ["5"], []),
        ("重试最多三次，每次等待时间翻倍。", RETRY, [], []),  # 三 is the passage's 3
        # and the other way round: the passage's words support the answer's digits whether or not the answer's
        # words are read (a number the passage gives is supported however the answer writes it)
        ("最多重试 3 次。", "失败后最多重试三次。", [], []),
        ("Cap it at 3 attempts.", "Cap the number of attempts at about three.", [], []),
        ("等待两秒后再试。", RETRY, [], []),
    ],
)
def test_grounding_reads_numbers_in_words(answer: str, support: str, unsupported: list[str], digits_only: list[str]) -> None:
    # min_overlap 0: these paraphrases share few bigrams with the passage (the similarity signal passes them
    # in the app); the number check is what is tested here.
    verdict = _check(answer, support, min_overlap=0.0, check_number_words=True)  # opt-in (off by default)
    assert verdict.details["unsupported_numbers"] == unsupported
    assert verdict.fired is bool(unsupported)
    # without number words: words are not read in the answer (the passage's still support its digits)
    assert _check(answer, support, check_number_words=False).details["unsupported_numbers"] == digits_only


def test_grounding_names_the_rebound_value_and_the_passage_clause() -> None:
    verdict = _check("temperature 默认是 0.9。", DEFAULTS)
    assert verdict.fired and "gives a name another value than" in verdict.reason
    (found,) = verdict.details["contradictions"]
    assert found["kind"] == "value" and found["sentence"] == "`temperature` 0.8"  # the name whole, in its backticks
    assert "value: temperature, 0.9, 0.8" in verdict.evidence
    assert _check("temperature 默认是 0.9。", DEFAULTS, check_key_values=False).details["contradictions"] == []


def test_grounding_names_the_affirmed_term() -> None:
    verdict = _check("Yes, temperature 0 with a fixed seed makes the output perfectly identical on any hardware.", SEED)
    assert verdict.fired and "affirms what is negated in the cited sentence" in verdict.reason
    assert "affirmed: perfectly" in verdict.evidence
    answer = "Yes, temperature 0 with a fixed seed makes the output perfectly identical on any hardware."
    assert not _check(answer, SEED, lead_flips=2).fired


def test_no_sentence_of_the_corpus_contradicts_its_own_paragraph() -> None:
    """Self-generated supported answers: every sentence of data/docs quoted against its own paragraph. A quote is
    supported by definition, so none of the new rules may fire on any of them (about 1,150 sentences)."""
    docs = Path(__file__).resolve().parents[2] / "data" / "docs"
    fired = []
    for path in sorted(docs.glob("*.*")):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n"):
            for sentence in sentences(paragraph):
                affirmed = contradictions(sentence, paragraph, min_alignment=0.4, min_tokens=3, lead_flips=1)
                rebound = rebound_values(sentence, paragraph)
                words = [n for n in spelled_numbers(sentence) if n not in all_numbers(paragraph)]
                if [c for c in affirmed if c.kind == "affirmed"] or rebound or words:
                    fired.append((path.name, sentence))
    assert fired == []
