"""Shared text helpers: tokens (en words + zh bigrams), numbers, quoted terms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrails.text import content_tokens, has_cjk, lang_of, tokens
from guardrails.text_numbers import numbers
from guardrails.text_quotes import quoted_terms


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
        ("divide by 1e9", ["1000000000"]),
        ("divide by 1E9.", ["1000000000"]),  # a full stop after the exponent ends the sentence
        ("tolerance 1e-6", ["0.000001"]),
        ("2.5e3 tokens", ["2500"]),
        ("-1e9", ["-1000000000"]),
        ("divide by 10^9 for seconds", ["1000000000"]),
        ("10 ^ 9", ["1000000000"]),
        ("10**9", ["1000000000"]),
        ("2^10 tokens", ["1024"]),
        ("10^-6", ["0.000001"]),
        ("除以 10⁹ 得到秒", ["1000000000"]),  # superscript digits are the exponent, not more digits ("109")
        ("10⁻⁶", ["0.000001"]),
        ("除以 10 的 9 次方", ["1000000000"]),
        ("10的-6次方", ["0.000001"]),
        ("2.5 × 10^9", ["2500000000"]),
        ("1e9秒", ["1000000000"]),
    ],
)
def test_a_power_is_one_value_however_written(text: str, expected: list[str]) -> None:
    assert numbers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("multilingual-e5 and v1e9", []),  # identifiers: no digit starts them, or glued to a letter
        ("0x1e9", ["0"]),  # hex: the "1e9" is glued to the x
        ("1e9f", ["1"]),  # a hex-like run: the exponent is glued to a letter
        ("Q4_K_M and qwen2.5:7b", ["7"]),
        ("v0.6 and 0.5.7 and 127.0.0.1", ["0.5.7", "127.0.0.1"]),
        ("**HTTP 404**：请求的模型没有安装", ["404"]),  # markdown bold is not a power
        ("2 ** 10", ["2", "10"]),  # spaced, ** is not read as a power
        ("1e123", ["1"]),  # an exponent of three digits or more is not one
        ("m² and 8 GB¹", ["8"]),  # a superscript glued to a letter is no exponent
        ("0^-1", ["0", "-1"]),  # no value
    ],
)
def test_what_looks_like_a_power_but_is_not_one_is_read_as_before(text: str, expected: list[str]) -> None:
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


def _in_cjk_ranges(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F)))


def _tokens_reference(text: str) -> list[str]:
    """The character-by-character definition tokens() had before it became regex-based."""
    from guardrails.text import _words, normalize

    out: list[str] = []
    run: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        out.extend(run if len(run) == 1 else [run[i] + run[i + 1] for i in range(len(run) - 1)])
        run.clear()

    for char in normalize(text):
        if _in_cjk_ranges(char):
            if buf:
                out.extend(_words("".join(buf)))
                buf.clear()
            run.append(char)
        else:
            if run:
                flush()
            buf.append(char)
    if run:
        flush()
    if buf:
        out.extend(_words("".join(buf)))
    return out


@given(
    st.lists(st.sampled_from([*"ab _1.,端口默认监听𠀀丽龥㐀\n１", "OLLAMA_HOST", " the "]), max_size=40).map("".join)
    | st.text(max_size=40)
)
def test_tokens_and_cjk_helpers_match_the_character_by_character_definition(text: str) -> None:
    from guardrails.text import count_cjk, is_cjk

    assert tokens(text) == _tokens_reference(text)
    assert count_cjk(text) == sum(_in_cjk_ranges(c) for c in text)
    assert has_cjk(text) == any(_in_cjk_ranges(c) for c in text)
    assert all(is_cjk(c) == _in_cjk_ranges(c) for c in text)
