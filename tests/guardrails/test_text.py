"""Shared text helpers: tokens (en words + zh bigrams), numbers, quoted terms."""

from __future__ import annotations

import pytest

from guardrails.text import content_tokens, has_cjk, lang_of, numbers, quoted_terms, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I pull a model?", ["how", "do", "i", "pull", "a", "model"]),
        ("OLLAMA_KEEP_ALIVE controls it", ["ollama_keep_alive", "controls", "it"]),
        ("默认端口", ["默认", "认端", "端口"]),
        ("用 Ollama 运行", ["用", "ollama", "运行"]),
        ("port 11434", ["port"]),  # numbers are compared by numbers(), not as tokens
        ("ＡＢＣ", ["abc"]),  # full-width letters are folded
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_content_tokens_drop_stopwords_and_function_bigrams() -> None:
    assert content_tokens("What is the default port?") == ["default", "port"]
    assert "的了" not in content_tokens("好的了吗")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("port 11434", ["11434"]),
        ("temperature 0.80", ["0.8"]),
        ("2,048 tokens", ["2048"]),
        ("端口11434。", ["11434"]),
        ("8GB of RAM", ["8"]),
        ("qwen2.5:7b and Q4_K_M and v0.6", ["7"]),  # glued to letters on the left: not a number
        ("no numbers here", []),
    ],
)
def test_numbers(text: str, expected: list[str]) -> None:
    assert numbers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('set "num_ctx" first', ["num_ctx"]),
        ("设置“温度”参数", ["温度"]),
        ("「上下文」长度", ["上下文"]),
        ("run `ollama serve`", ["ollama serve"]),
        ("```\ncode block\n```", []),
        ("nothing quoted", []),
    ],
)
def test_quoted_terms(text: str, expected: list[str]) -> None:
    assert quoted_terms(text) == expected


@pytest.mark.parametrize(("text", "lang"), [("端口是多少", "zh"), ("What port?", "en"), ("Ollama 端口", "zh")])
def test_language(text: str, lang: str) -> None:
    assert lang_of(text) == lang
    assert has_cjk(text) is (lang == "zh")
