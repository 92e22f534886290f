"""RelevanceGuardrail: an English question about a thing the corpus never names, told by how the word is written.

Every English word is Latin, so the Chinese rule's test says nothing; a name shows in its written form: inner
capitals (PostgreSQL, vLLM), an acronym in capitals (AWS), letters mixed with digits (WSL2, A100). A sentence-initial
or title capital, an all-lowercase word and a question in capitals throughout mark nothing, and a question that also
names, as a name, a thing the corpus does name ("I call Ollama from LangChain") is about that thing. The coverage
evidence is casefolded, so the casing is read from the question. Scores are those h167 / h181 traced on data/docs."""

from __future__ import annotations

import pytest

from guardrails.relevance_names import latin_names
from tests.guardrails.relevance_cases import verdict


@pytest.mark.parametrize(
    ("question", "lacking", "names"),
    [
        # written as names: inner capitals, acronyms in capitals, letters with digits
        ("What's the default port for PostgreSQL?", ("postgresql",), ("postgresql",)),
        ("How do I set tensor parallel size in vLLM?", ("vllm", "tensor"), ("vllm",)),
        ("Which cuDNN version goes with CUDA 12.1?", ("cudnn", "version"), ("cudnn",)),
        ("How much does an A100 instance cost per hour on AWS?", ("a100", "aws", "instance"), ("a100", "aws")),
        ("How do I limit WSL2 memory usage?", ("wsl2",), ("wsl2",)),
        ("How do I run TensorRT-LLM on an RTX 4090?", ("tensorrt-llm", "tensorrt", "rtx"), ("tensorrt-llm", "tensorrt", "rtx")),
        ("is gpt4o better at coding", ("gpt4o", "coding"), ("gpt4o",)),
        # ordinary words: lowercase, a capital that starts the sentence or the word, numbers, single letters, shouting
        ("when I paste a multi-paragraph prompt into ollama run it fires off", ("multi-paragraph",), ()),
        ("How do I make Redis persist to disk?", ("redis", "persist"), ()),
        ("Zshrc changes don't reach the service", ("zshrc",), ()),
        ("can my 16gb laptop run it", ("16gb", "laptop"), ()),
        ("HOW DO I FIX CUDA OUT OF MEMORY", ("cuda",), ()),
        # it also names a thing the corpus names: the unknown name is the setting, not the subject
        ("I call Ollama from LangChain, what is the endpoint for chat?", ("langchain",), ()),
        ("I use Open WebUI with Ollama, how do I make Ollama listen on all interfaces?", ("webui",), ()),
        # Chinese questions keep their own rule: every Latin word is a name
        ("k8s 里怎么给 Pod 分配 GPU？", ("k8s", "pod"), ("k8s", "pod")),
    ],
)
def test_which_lacking_words_of_an_english_question_are_names(
    question: str, lacking: tuple[str, ...], names: tuple[str, ...]
) -> None:
    assert latin_names(question, lacking) == names


@pytest.mark.parametrize(
    ("question", "best", "share", "lacking", "weight", "fired"),
    [
        # off-corpus: answered before (0.385, 0.349), refused now
        ("What's the default port for PostgreSQL?", 0.5513, 0.3328, ("postgresql",), 0.5, True),
        ("How do I set tensor parallel size in vLLM?", 0.4708, 0.5108, ("vllm", "tensor"), 0.5, True),
        # answerable: an unknown lowercase compound, an outside tool beside a named one keep the usual weight
        ("when I paste a multi-paragraph prompt into ollama run it fires off", 0.467, 0.51, ("multi-paragraph",), 0.25, False),
        ("I call Ollama from LangChain, what is the endpoint for chat?", 0.433, 0.7052, ("langchain",), 0.25, False),
    ],
)
def test_the_unknown_share_weighs_more_when_an_english_question_lacks_a_name(
    question: str, best: float, share: float, lacking: tuple[str, ...], weight: float, fired: bool
) -> None:
    result = verdict(question, best, share, lacking)
    assert result.score == pytest.approx(round(best - weight * (1.0 - share), 4))
    assert result.fired is fired, result.reason
    assert result.details["unknown_names"] == ([lacking[0]] if weight == 0.5 else [])
