"""Output checks on wrong answers of the kinds grounding and grounding2 (tune halves) let through while keeping every
word of the passage: a priority or a sequence turned round ("B 的优先级更高" for "A 的优先级更高", "先 B 再 A" for "先 A
再 B"), two values of paired slash lists given to each other's names ("41% GPU" for "41%/59% CPU/GPU"), a command of
the restated sentence run with a subcommand the passage never names, and an acronym ("OS") that hid which sentence
an answer restates ("operating system"). And the paraphrases of those sentences each must let through.

Every passage and answer here is written for this file (none is an item of data/eval); each case names the general
cause it stands for, in Chinese and English.
"""

from __future__ import annotations

from functools import partial

import pytest

from guardrails.acronyms import spelled_out
from guardrails.claims import replaced_commands
from guardrails.precedence import swapped_precedence
from guardrails.values import swapped_pairs
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict
from tests.guardrails.corpus import section_quotes

_check = partial(grounding_verdict, similarity=PARAPHRASE_SIMILARITY)  # the signal present, as at run time


PRIORITY_ZH = "**OLLAMA_NUM_CTX**：默认 2048。请求 options 里的 `num_ctx` 参数优先级更高。"
PRIORITY_EN = "The `num_ctx` option of a request overrides the OLLAMA_NUM_CTX environment variable."
STEPS_ZH = "升级前先停止 ollama 服务，再替换二进制文件，最后重新启动。"
STEPS_EN = "Stop the ollama service first, then replace the binary and start it again."
SPLIT_EN = "The PROCESSOR column shows a split such as `30%/70% CPU/GPU` when the model only partly fits in video memory."
SPLIT_ZH = "PROCESSOR 一列会显示 `25%/75% CPU/GPU` 这样的比例，表示模型没有完全放进显存。"
COPY_EN = (
    "`ollama cp llama3.2 my-llama` copies a model under a new name. To rename a model, copy it and then `ollama rm` the old name."
)
COPY_ZH = "`ollama cp llama3.2 my-llama` 会以新名字复制模型。想改名时，先复制，再用 `ollama rm` 删除旧名字。"
ROOM_EN = "A 13B model at Q8_0 takes about 14 GB, which leaves no room for the operating system on a 16 GB machine."


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        # a priority turned round: the thing the passage ranks first is the one overridden in the answer
        ("环境变量 OLLAMA_NUM_CTX 的优先级更高，会覆盖请求 options 里的 num_ctx 参数。", PRIORITY_ZH, "precedence"),
        ("The OLLAMA_NUM_CTX environment variable overrides the num_ctx option of a request.", PRIORITY_EN, "precedence"),
        (
            "The OLLAMA_NUM_CTX environment variable has higher priority and overrides a request's num_ctx option.",
            PRIORITY_EN,
            "precedence",
        ),
        # a sequence turned round (先…再…, first … then)
        ("升级前先替换二进制文件，再停止 ollama 服务，最后重新启动。", STEPS_ZH, "precedence"),
        ("Replace the binary first, then stop the ollama service and start it again.", STEPS_EN, "precedence"),
        ("Replace the binary before you stop the ollama service.", STEPS_EN, "precedence"),
        # two paired values given to each other's names, in prose or as slash lists, in either language
        ("It means 30% of the model runs on the GPU and 70% on the CPU.", SPLIT_EN, "pair: 30, gpu, cpu"),
        ("意思是 30% 在 GPU 上跑，70% 在 CPU 上跑。", SPLIT_EN, "pair: 30, gpu, cpu"),
        ("It shows 70%/30% CPU/GPU when the model only partly fits.", SPLIT_EN, "pair: 30, 70"),
        ("CPU 占 75%，GPU 占 25%，因为模型没有完全放进显存。", SPLIT_ZH, "pair: 75, cpu, gpu"),
        # a command of the restated sentence with a subcommand the passage never names
        ("Copy it with ollama cp and then run ollama stop on the old name.", COPY_EN, "command: ollama stop, ollama rm"),
        ("先复制，再用 ollama delete 删除旧名字。", COPY_ZH, "command: ollama delete, ollama rm"),
        # an acronym no longer hides the sentence it restates: "OS" is the passage's "operating system"
        ("Yes, Q8_0 fits comfortably, with room left for the OS.", ROOM_EN, "polarity: operating, room, system"),
    ],
)
def test_wrong_answers_of_these_kinds_are_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(_check(answer, passage), evidence)


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # the priority kept, said the other way round or in the passive
        ("请求 options 里的 num_ctx 参数优先级更高，会覆盖环境变量 OLLAMA_NUM_CTX。", PRIORITY_ZH),
        ("环境变量 OLLAMA_NUM_CTX 会被请求 options 里的 num_ctx 参数覆盖。", PRIORITY_ZH),
        ("The OLLAMA_NUM_CTX environment variable is overridden by the num_ctx option of a request.", PRIORITY_EN),
        ("A request's num_ctx option takes precedence over the OLLAMA_NUM_CTX environment variable.", PRIORITY_EN),
        ("A request's num_ctx option has higher priority than the OLLAMA_NUM_CTX environment variable.", PRIORITY_EN),
        ("The num_ctx option of a request has the higher priority; it overrides OLLAMA_NUM_CTX.", PRIORITY_EN),
        # the sequence kept, with other order words
        ("先停掉 ollama 服务，然后替换二进制文件，再重新启动。", STEPS_ZH),
        ("Replace the binary after you stop the ollama service, then start it again.", STEPS_EN),
        ("Stop the ollama service before you replace the binary.", STEPS_EN),
        # the pairs kept, quoted, or a value without its pair's name
        ("It means 30% of the model runs on the CPU and 70% on the GPU.", SPLIT_EN),
        ("意思是 30% 在 CPU 上，70% 在 GPU 上。", SPLIT_EN),
        ("It shows 30%/70% CPU/GPU when the model only partly fits.", SPLIT_EN),
        ("GPU 占 75%，CPU 占 25%。", SPLIT_ZH),
        ("Not 30% on the GPU: 30% is the CPU's share and 70% the GPU's.", SPLIT_EN),
        # the passage's command, and the program's name in prose
        ("Copy it with ollama cp, then run ollama rm on the old name.", COPY_EN),
        ("To rename, copy the model and then delete the old name; the ollama user owns both copies.", COPY_EN),
        ("先复制，再用 ollama rm 删除旧名字。", COPY_ZH),
        # an acronym of the passage's words in a correct paraphrase
        ("No: a 13B model at Q8_0 takes about 14 GB, leaving no room for the OS on a 16 GB machine.", ROOM_EN),
    ],
)
def test_correct_answers_of_these_kinds_pass(answer: str, passage: str) -> None:
    verdict = _check(answer, passage)
    assert not verdict.fired, verdict.reason


def test_spelled_out_acronyms() -> None:
    assert spelled_out("room for the OS", ROOM_EN) == "room for the operating system"
    assert spelled_out("room for the OS", "The OS needs room; the operating system is small.") == "room for the OS"
    assert spelled_out("the KV cache", ROOM_EN) == "the KV cache"  # no run of passage words spells it
    assert spelled_out("needs 8 GB", "Larger models give better answers.") == "needs 8 GB"  # a unit after a number


def test_the_new_checks_follow_their_switches() -> None:
    answer = "It means 30% of the model runs on the GPU and 70% on the CPU."
    assert not _check(answer, SPLIT_EN, check_key_values=False).fired
    steps = "Replace the binary first, then stop the ollama service and start it again."
    assert not _check(steps, STEPS_EN, check_contradictions=False).fired


def test_no_sentence_of_the_corpus_is_caught_against_its_own_section() -> None:
    """Self-generated supported answers: every sentence of data/docs quoted against its own section, and against the
    section without its own paragraph (so that it is compared with the sentences nearest to it, which it does not
    restate). A quote is supported by definition, so none of these checks may fire on it. The command check is run
    against the whole section only: without its paragraph, a sentence that opens with its own command in code
    ("`ollama stop qwen2.5:3b` unloads a model") names a subcommand the rest of the section never writes, which is
    unsupported there (the backticked-term check rejects it too), not a quote."""
    fired = []
    for quote in section_quotes():
        found = swapped_precedence(quote.sentence, quote.support, min_alignment=0.4)
        found += swapped_pairs(quote.sentence, quote.support)
        if quote.whole:
            found += replaced_commands(quote.sentence, quote.support, min_alignment=0.4)
        fired += [(quote.file, c.kind, c.claim[:60], c.terms) for c in found]
    assert fired == []
