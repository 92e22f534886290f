"""A quantity's number is read as numbers() reads a number, in the same text (text_numbers.readable) with the same
pattern (text_numbers.NUMBER): a number glued to Chinese text is a number ("超时30秒"), thousands separators are
read ("2,048 MB" is 2048 MB, not 48 MB), a comma is never a decimal point ("1,5 GB" is 1 and 5 GB, as numbers()
reads it), a full-width comma lists numbers, a sign is the number's. So a changed unit glued to Chinese text is
caught, and the same quantity written with or without separators is no change."""

from __future__ import annotations

import pytest

from guardrails.text_numbers import numbers
from guardrails.units import changed_units, quantities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("超时30秒", [("30", "time", "s")]),
        ("默认5分钟", [("5", "time", "min")]),
        ("显存至少24GB", [("24", "size", "GB")]),
        ("最多保留2小时后卸载", [("2", "time", "h")]),
        ("缓存上限2,048MB", [("2048", "size", "MB")]),
        ("a 2,048 MB cache", [("2048", "size", "MB")]),
        ("wait 1,000ms first", [("1000", "time", "ms")]),
        ("1,048,576 KB", [("1048576", "size", "KB")]),
        ("1,5 GB", [("5", "size", "GB")]),  # 1 and 5 GB, as numbers() reads it: no decimal comma, not 1.5 GB
        ("分别是 256，512 MB", [("512", "size", "MB")]),  # a full-width comma lists two numbers
        ("-1 s", [("-1", "time", "s")]),
        ("间隔3-5秒", [("5", "time", "s")]),  # a range's hyphen is no sign
        # unchanged: an ordinal, a name or version, a fraction's denominator
        ("第3天", []),
        ("qwen2.5 7b 模型", []),
        ("v2 s", []),
        ("½ GB", []),
        ("10^9GB", []),  # a power glued to letters is none (numbers() reads 10 and 9 there), and 9 GB is not the value
        ("10**9GB", []),
        ("a machine with **8 GB** of RAM", [("8", "size", "GB")]),  # markdown bold, not a power
        ("超时 30 秒", [("30", "time", "s")]),
        ("2048 MB", [("2048", "size", "MB")]),
    ],
)
def test_quantities_read_numbers_as_numbers_does(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize("number", ["30", "2,048", "1,048,576", "-1", "0.80", "５．５", "１２", "1e3", "10⁹", "10^9"])
@pytest.mark.parametrize(("before", "unit"), [("超时", "秒"), ("显存", " GB"), ("about ", " ms"), ("cache of ", "分钟")])
def test_a_quantity_has_the_number_numbers_reads(number: str, before: str, unit: str) -> None:
    assert [q[0] for q in quantities(f"{before}{number}{unit}")] == numbers(f"{before}{number}")


@pytest.mark.parametrize(
    ("answer", "passage", "terms"),
    [
        ("超时30分钟。", "超时30秒。", ("30 min", "30 s")),
        ("请求超时30分钟后返回错误。", "请求超时 30 秒后返回错误。", ("30 min", "30 s")),
        ("默认5秒。", "默认 5 分钟。", ("5 s", "5 min")),
        ("显存需要8MB。", "显存需要8GB。", ("8 MB", "8 GB")),
        ("The cache holds 2,048 GB.", "The cache holds 2048 MB.", ("2048 GB", "2048 MB")),
        ("The cache holds 2048 GB.", "The cache holds 2,048 MB.", ("2048 GB", "2048 MB")),
        ("The model needs 5 MB.", "The model needs 1,5 GB.", ("5 MB", "5 GB")),
        # the same quantity, with or without separators or a space, is no change; nor a number the passage lacks
        ("The cache holds 2048 MB.", "The cache holds 2,048 MB.", None),
        ("缓存上限 2,048 MB。", "缓存上限2048MB。", None),
        ("超时30秒。", "超时 30 秒。", None),
        ("The cache holds 48 GB.", "The cache holds 2,048 MB.", None),  # 48 is no number of the passage's
        ("The model needs 1.5 GB.", "The model needs 1,5 MB.", None),
    ],
)
def test_changed_units_read_glued_and_grouped_numbers(answer: str, passage: str, terms: tuple[str, str] | None) -> None:
    found = changed_units(answer, passage)
    assert [c.terms for c in found] == ([terms] if terms else [])
