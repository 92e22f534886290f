"""text_quotes: one reader of fenced code blocks (CommonMark: ``` or ~~~ at a line's start, up to 3 spaces in, closed
by a line of the same character at least as long, or running to the end) for quoted terms, the grounding overlap and
the heading reader; triple backticks inside a line are a code span, a term like `x`."""

from __future__ import annotations

import pytest

from guardrails.text_quotes import fenced_lines, quoted_terms, strip_code_fences
from tests.guardrails.cited import grounding_verdict

PORT_EN = "Set OLLAMA_HOST to 0.0.0.0:11434 so that other machines can reach the server. Restart the service afterwards."
PORT_ZH = "把 OLLAMA_HOST 设为 0.0.0.0:11434，局域网里的其他电脑就能访问服务。改完后重启服务。"
CODE = 'export OLLAMA_HOST="0.0.0.0:11434"\nsudo systemctl restart ollama'


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("a\n```\nb\n```\nc", [False, True, True, True, False]),
        ("a\n~~~bash\nb\n~~~\nc", [False, True, True, True, False]),
        ("~~~\n```\n# b\n~~~\nc", [True, True, True, True, False]),  # a ``` line inside ~~~ is code
        ("````\n```\nb\n````\nc", [True, True, True, True, False]),  # a shorter fence closes nothing
        ("```\nb\n``` not a close\nc", [True, True, True, True]),  # unclosed: runs to the end
        ("   ```\nb\n   ```\nc", [True, True, True, False]),  # up to 3 spaces in
        ("    ```\nb", [False, False]),  # 4 spaces: indented text, not a fence
        ("```ollama ps``` lists models\n# Models", [False, False]),  # backticks in the info string: a code span
        ("运行 ```ollama ps``` 查看\n```\n代码\n```", [False, True, True, True]),
        ("说明：\n~~~\n# 注释\n~~~\n正文", [False, True, True, True, False]),
    ],
)
def test_fenced_lines(text: str, inside: list[bool]) -> None:
    assert fenced_lines(text) == inside


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        (f'Restart it:\n~~~bash\n{CODE}\n~~~\nThen run "ollama ps".', ["ollama ps"]),
        (f'Restart it:\n```bash\n{CODE}\n```\nThen run "ollama ps".', ["ollama ps"]),
        (f"重启服务：\n~~~\n{CODE}\n~~~\n再运行「ollama ps」。", ["ollama ps"]),
        (f"重启服务：\n```\n{CODE}\n```\n再运行「ollama ps」。", ["ollama ps"]),
        ("Run ```ollama ps``` to list loaded models.", ["ollama ps"]),  # inline: a code span, a term
        ("运行 ```ollama ps``` 查看已加载的模型。", ["ollama ps"]),
    ],
)
def test_a_fenced_block_holds_no_quoted_terms_whichever_its_fence(text: str, terms: list[str]) -> None:
    assert quoted_terms(text) == terms


def test_stripping_keeps_the_prose_and_its_lines() -> None:
    assert strip_code_fences("a\n~~~\nb\n~~~\nc") == "a\n\n\n\nc"
    assert strip_code_fences("no fence here") == "no fence here"


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        (f"Set OLLAMA_HOST to 0.0.0.0:11434 and restart the service:\n~~~bash\n{CODE}\n~~~", PORT_EN),
        (f"Set OLLAMA_HOST to 0.0.0.0:11434 and restart the service:\n```bash\n{CODE}\n```", PORT_EN),
        (f"把 OLLAMA_HOST 设为 0.0.0.0:11434，然后重启服务：\n~~~bash\n{CODE}\n~~~", PORT_ZH),
        (f"把 OLLAMA_HOST 设为 0.0.0.0:11434，然后重启服务：\n```bash\n{CODE}\n```", PORT_ZH),
    ],
)
def test_grounding_judges_the_prose_around_a_code_block_of_either_fence(answer: str, passage: str) -> None:
    verdict = grounding_verdict(answer, passage)
    assert not verdict.fired, verdict.reason


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Run ```ollama serve --tls``` to restart the service so that other machines can reach the server.", PORT_EN),
        ("运行 ```ollama serve --tls``` 重启服务，局域网里的其他电脑就能访问服务。", PORT_ZH),
    ],
)
def test_an_inline_triple_backtick_span_is_checked_like_a_code_span(answer: str, passage: str) -> None:
    verdict = grounding_verdict(answer, passage)
    assert verdict.fired and "--tls" in verdict.reason, verdict.reason
