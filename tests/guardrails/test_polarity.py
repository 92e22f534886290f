"""Contradictions against the passage sentence an answer restates: flipped polarity and swapped numbers, in
Chinese and English, with the paraphrases that must pass (negation rephrased, idioms holding 不/非, numbers
taken from another clause, table rows). Passages are data/docs text; answers that come from data/eval/grounding.jsonl
are tune-split items only (the report split is never used to write a rule or a test)."""

from __future__ import annotations

import pytest

from guardrails.comparisons import swapped_comparisons
from guardrails.marking import mark
from guardrails.polarity import contradictions
from guardrails.sentences import clauses, sentences
from tests.guardrails.cited import grounding_verdict

EN = (
    "Ollama has **no built-in authentication**, so anyone who can reach the port can use every model. "
    "Do not retry 4xx errors: a 404 for a missing model will not fix itself. "
    "Because the service runs as the `ollama` user, its models are stored under `/usr/share/ollama/.ollama/models`, "
    "not in your own home directory. The installer does not need administrator rights. "
    "The server listens on port 11434. NVIDIA users need a recent driver (452.39 or newer)."
)
ZH = (
    "在 macOS 上，Docker 容器无法使用 Apple Silicon 的 Metal GPU，只能跑 CPU，因此 Mac 上建议直接安装原生应用。"
    "运行 7B 模型至少需要 8 GB 内存，13B 模型需要 16 GB。模板写错的典型症状是：输出夹杂特殊标记、回答停不下来或答非所问。"
    "删除容器后模型仍然保留。**Windows**：运行 `OllamaSetup.exe`，安装后在系统托盘常驻，无需管理员权限。"
    "**读取超时**：60–120 秒，需要覆盖冷启动加载模型的时间。"
)
TABLE = "| quant | bits per weight | 7B model size |\n|---|---|---|\n| Q4_K_M | ~4.8 | ~4.1 GB |"


def found(answer: str, support: str) -> list[tuple[str, tuple[str, ...]]]:
    found = contradictions(answer, support, min_alignment=0.4, min_tokens=3) + swapped_comparisons(
        answer, support, min_alignment=0.4
    )
    return [(c.kind, c.terms) for c in found]


@pytest.mark.parametrize(
    ("answer", "support", "kind"),
    [
        ("Yes, Ollama ships with built-in token authentication, so it is safe to expose the port.", EN, "polarity"),
        ("Yes, retry 404 errors with exponential backoff.", EN, "polarity"),
        ("The installer needs administrator rights.", EN, "polarity"),
        ("需要，安装 OllamaSetup.exe 时必须以管理员身份运行。", ZH, "polarity"),  # grz066 (tune)
        ("运行 7B 模型至少需要 16 GB 内存。", ZH, "number"),  # grz024 (tune): 16 is in the passage, for 13B
        ("读取超时建议设为 8 秒左右，覆盖冷启动加载模型的时间。", ZH, "number"),
        ("The server listens on port 11435.", EN, "number"),
        ("NVIDIA users need driver 535.10 or newer.", EN, "number"),
    ],
)
def test_contradictions_are_found(answer: str, support: str, kind: str) -> None:
    assert kind in [k for k, _ in found(answer, support)]


@pytest.mark.parametrize(
    ("answer", "support"),
    [
        # negation rephrased: without / rather than / 用不了 / 不需要 for no / not / 无法
        ("No, the installer installs without administrator rights.", EN),
        ("The models live under /usr/share/ollama/.ollama/models rather than your home directory.", EN),
        ("Ollama has no authentication of its own, so do not expose the port.", EN),
        ("Don't retry 404 errors: pull the model first.", EN),
        ("Mac 上的 Docker 跑不了 Metal GPU 加速，只能用 CPU，建议装原生应用。", ZH),
        ("不需要管理员权限，运行 OllamaSetup.exe 就能装好。", ZH),
        ("删除容器后模型还在，不需要重新下载。", ZH),
        # numbers from two clauses of one sentence, and from a table row (rows are left to the plain number check)
        ("13B 模型需要 16 GB，7B 模型至少 8 GB。", ZH),
        ("About 4.1 GB on disk, at roughly 4.8 bits per weight.", TABLE),
        ("The server listens on port 11434.", EN),
        # a claim about something the passage does not say is not a contradiction (other checks judge it)
        ("The weather is nice today and nothing else matters.", EN),
    ],
)
def test_paraphrases_pass(answer: str, support: str) -> None:
    assert found(answer, support) == []


QUANT = "At a fixed memory budget, a larger model at Q4 usually answers better than a smaller model at Q8."
QUANT_ZH = "在同样的内存预算下，Q4 量化的大模型通常比 Q8 量化的小模型回答得更好。"


@pytest.mark.parametrize(
    ("answer", "support", "swapped"),
    [
        # gre057 (tune): the same words, the two sides of the comparison exchanged
        ("At a fixed memory budget, a smaller model at Q8 usually answers better than a larger model at Q4.", QUANT, True),
        ("同样的内存预算下，Q8 量化的小模型通常比 Q4 量化的大模型回答得更好。", QUANT_ZH, True),
        ("A larger model at Q4 usually beats a smaller one at Q8, for the same memory budget.", QUANT, False),
        ("For a fixed memory budget a larger Q4 model usually answers better than a smaller Q8 model.", QUANT, False),
        ("同样的内存预算下，Q4 量化的大模型一般比 Q8 量化的小模型好。", QUANT_ZH, False),
        ("比如在同样的内存预算下，选 Q4 量化的大模型。", QUANT_ZH, False),  # 比如 is not a comparison
    ],
)
def test_swapped_comparisons(answer: str, support: str, swapped: bool) -> None:
    assert ("order" in [k for k, _ in found(answer, support)]) is swapped


def test_a_single_flipped_word_is_not_enough() -> None:
    passage = "Ollama was started, no model loaded."
    # Aligned (ollama, started, model shared), but only "model" is negated on one side and plain on the other.
    assert found("Ollama was started and the model list printed.", passage) == []
    assert found("Ollama was started and the model loaded.", passage) == [("polarity", ("loaded", "model"))]


def test_marking_scopes_and_plain_clauses() -> None:
    m = mark("Ollama has no built-in authentication, so anyone can use it")
    assert {"built", "authentication"} <= m.negated
    assert "anyone" in m.plain and "authentication" not in m.plain
    z = mark("Docker 容器无法使用 Metal GPU，只能跑 CPU")
    assert {"metal", "gpu", "使用"} <= z.negated and "cpu" in z.plain
    assert mark("4xx errors and 5xx errors").numbers == frozenset()


def test_sentences_and_clauses() -> None:
    assert sentences("一。二！three. four") == ["一。", "二！", "three.", "four"]
    assert clauses("7B 需要 8 GB，13B 需要 16 GB") == ["7B 需要 8 GB", "13B 需要 16 GB"]
    assert clauses("about 2,048 tokens, then stop") == ["about 2,048 tokens", "then stop"]


def test_grounding_fires_on_a_contradiction_and_says_which_sentence() -> None:
    verdict = grounding_verdict("Yes, Ollama ships with built-in token authentication [S1].", EN)
    assert verdict.fired and verdict.action == "reask"
    assert "negates what the cited sentence" in verdict.reason
    assert verdict.details["contradictions"][0]["kind"] == "polarity"
    assert any(e.startswith("polarity:") for e in verdict.evidence)


def test_grounding_contradiction_check_can_be_switched_off() -> None:
    answer = "运行 7B 模型至少需要 16 GB 内存。"
    assert grounding_verdict(answer, ZH).fired
    assert not grounding_verdict(answer, ZH, check_contradictions=False).fired


def test_grounding_skips_contradictions_across_languages() -> None:
    # An English answer from a Chinese passage cannot be aligned word by word: the similarity signal judges it.
    verdict = grounding_verdict("Docker containers on macOS can use the Metal GPU.", ZH)
    assert verdict.details["contradictions"] == []
