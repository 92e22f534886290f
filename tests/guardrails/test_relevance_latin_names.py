"""RelevanceGuardrail: a Chinese question naming, in Latin script, something the corpus never names.

In Chinese text the Latin script marks names, identifiers and units ("vLLM", "Redis", "MLX", "8G"): when the
corpus lacks such a name, the question is about a thing the documents never mention, so its unknown share
weighs `name_weight` instead of `unknown_weight`. English is not (its everyday words are Latin too: see
test_relevance_english_names.py for its names by written form), and so
are a number with a unit ("8g"), a single letter ("N 卡") and Chinese words. Scores are those h167 traced on
data/docs (best passage, coverage share, the words the corpus lacks)."""

from __future__ import annotations

import pytest

from guardrails.relevance_names import latin_names
from tests.guardrails.relevance_cases import verdict


@pytest.mark.parametrize(
    ("question", "best", "share", "lacking", "weight", "fired"),
    [
        # zh, off-corpus: the subject is a product the corpus never names (answered before: 0.220, 0.282, 0.315)
        ("Redis 的端口 6379 被占用了怎么办", 0.407, 0.2501, ("redis", "6379"), 0.5, True),
        ("vLLM 的 PagedAttention 显存是怎么分配的？", 0.471, 0.2431, ("vllm", "pagedattention"), 0.5, True),
        ("Mac 上怎么用 MLX 跑大模型？", 0.465, 0.3977, ("mlx",), 0.5, True),
        # ... lower, yet still above the bar when most of its words are the corpus's (0.335 -> 0.220)
        ("Windows 的 WSL2 内存占用太大怎么限制？", 0.451, 0.5374, ("wsl2",), 0.5, False),
        # zh, answerable: a generic acronym the corpus does not spell out still passes (most words are known)
        ("能不能用 OpenAI 那套 SDK 直接连 ollama", 0.449, 0.62, ("sdk",), 0.5, False),
        # zh: a number with its unit, a single letter, Chinese words only: the usual weight
        ("8G 内存的笔记本能跑 7B 模型吗", 0.661, 0.67, ("8g",), 0.25, False),
        ("docker 里的 ollama 怎么用上 N 卡", 0.45, 0.8, ("n",), 0.25, False),
        ("显卡明明有，为啥生成还是慢吞吞的", 0.355, 0.3462, ("慢吞吞", "为啥", "明明"), 0.25, True),
        # en: Latin script alone marks nothing, so the usual weight (an English answerable with an unlisted compound;
        # names by their written form: test_relevance_english_names.py)
        ("when I paste a multi-paragraph prompt into ollama run it fires off", 0.467, 0.51, ("multi-paragraph",), 0.25, False),
    ],
)
def test_the_unknown_share_weighs_more_when_a_chinese_question_lacks_a_latin_name(
    question: str, best: float, share: float, lacking: tuple[str, ...], weight: float, fired: bool
) -> None:
    result = verdict(question, best, share, lacking)
    assert result.score == pytest.approx(round(best - weight * (1.0 - share), 4))
    assert result.fired is fired, result.reason
    assert result.details["unknown_penalty"] == pytest.approx(round(weight * (1.0 - share), 4))


@pytest.mark.parametrize(
    ("question", "lacking", "names"),
    [
        ("k8s 里怎么给 Pod 分配 GPU？", ("k8s", "pod"), ("k8s", "pod")),
        (
            "pip install 报 externally-managed-environment 怎么解决？",
            ("externally-managed-environment", "报"),
            ("externally-managed-environment",),
        ),
        ("苹果 M 芯片 16G 的能跑多大的模型", ("16g", "m"), ()),
        ("nvidia-smi 显示的 GPU 利用率一直是 0%", ("0%", "利用率"), ()),
    ],
)
def test_which_lacking_words_are_latin_names(question: str, lacking: tuple[str, ...], names: tuple[str, ...]) -> None:
    assert latin_names(question, lacking) == names


def test_the_verdict_names_them() -> None:
    result = verdict("Mac 上怎么用 MLX 跑大模型？", 0.465, 0.3977, ("mlx", "跑"))
    assert result.details["unknown_names"] == ["mlx"]
    assert "names the documents never use: mlx" in result.reason
