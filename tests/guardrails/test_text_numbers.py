"""text_numbers.readable: the one text every module reads numbers in (numbers(), units.py), and number_value, a
number's canonical value without its thousands separators."""

from __future__ import annotations

import re

import pytest

from guardrails.text_numbers import NUMBER, number_value, numbers, readable
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, grounding_verdict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("超时 ３０ｓ", "超时 30s"),  # full-width digits and letters
        ("约 ５．５ GB", "约 5.5 GB"),
        ("5㎳", "5ms"),  # a unit sign
        ("256，512", "256、512"),  # a full-width comma lists numbers, never groups thousands
        ("①5 秒", " 5 秒"),  # an enclosed number is a list mark
        ("10⁹ ns", "1000000000 ns"),  # a superscript exponent is a power, not "109"
        ("１０＾９ ns", "1000000000 ns"),  # a full-width caret too
        ("1e3 ms", "1000 ms"),
        ("2,048 MB", "2,048 MB"),  # separators stay: NUMBER reads them
    ],
)
def test_readable(text: str, expected: str) -> None:
    assert readable(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("超时30秒", ["30"]),
        ("2,048", ["2048"]),
        ("-2,048.50", ["-2048.5"]),
        ("1,5", ["1", "5"]),  # no decimal comma
        ("12,3456", ["12", "3456"]),
        ("qwen2.5 v0.6", []),
        ("3-5", ["3", "5"]),
    ],
)
def test_numbers_match_number_and_number_value(text: str, expected: list[str]) -> None:
    assert numbers(text) == expected
    assert [number_value(m.group()) for m in re.finditer(NUMBER, readable(text))] == expected


# An HTTP status class names a range of codes, not a number: "4 s" is not supported by "Do not retry 4xx errors".
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Do not retry 4xx errors: a 404 for a missing model", ["404"]),
        ("5XX 和 429 可以重试，4xx 不要", ["429"]),
        ("7B models, 8GB of RAM, 4x faster", ["7", "8", "4"]),
    ],
)
def test_status_classes_are_no_numbers(text: str, expected: list[str]) -> None:
    assert numbers(text) == expected


@pytest.mark.parametrize(
    ("answer", "fired"),
    [
        ("Back off for 1 s, 2 s and 4 s between attempts.", True),
        ("Back off for 0.5 s, 1 s and 2 s; never retry 4xx errors.", False),
    ],
)
def test_a_number_is_not_supported_by_a_status_class(answer: str, fired: bool) -> None:
    passage = "Use exponential backoff, e.g. 0.5 s, 1 s, 2 s. Do not retry 4xx errors: a 404 will not fix itself."
    verdict = grounding_verdict(answer, passage, similarity=PARAPHRASE_SIMILARITY)
    assert verdict.fired is fired, verdict.reason
