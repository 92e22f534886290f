"""Quantities are read in NFKC text, as numbers() reads numbers: full-width digits, letters and points ("３０ｓ",
"１０ＧＢ", "５．５ GB") and unit signs ("５㎳") are quantities, in both languages, so a changed unit written in them is
caught and a full-width decimal is not misread as its integer part. The evidence keeps the original clauses."""

from __future__ import annotations

import pytest

from guardrails.units import changed_units, named_units, quantities, renamed_units


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("超时 ５ 秒", [("5", "time", "s")]),
        ("超时 ３０ｓ", [("30", "time", "s")]),
        ("显存至少 １０ＧＢ", [("10", "size", "GB")]),
        ("模型约 ５．５ GB", [("5.5", "size", "GB")]),  # not 5 GB
        ("the timeout is ５ ｍｉｎｕｔｅｓ", [("5", "time", "min")]),
        ("wait ｆｉｖｅ ｓｅｃｏｎｄｓ", [("5", "time", "s")]),
        ("latency 5㎳", [("5", "time", "ms")]),
        ("divide by １０＾９ ns", [("1000000000", "time", "ns")]),
        # unchanged: a superscript exponent stays one power (NFKC would make it 109), a list mark is no digit,
        # and the denominator of a fraction is not the value
        ("10⁹ ns", [("1000000000", "time", "ns")]),
        ("①5 秒", [("5", "time", "s")]),
        ("½ GB", []),
        ("5 分钟", [("5", "time", "min")]),
    ],
)
def test_quantities_read_full_width(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize(
    ("answer", "passage", "terms"),
    [
        ("超时为 ３０ｍｓ。", "超时为 30 秒。", ("30 ms", "30 s")),
        ("The cache holds １０ＧＢ.", "The cache holds 10 MB.", ("10 GB", "10 MB")),
        ("The timeout is ５ ｍｉｎｕｔｅｓ.", "The timeout is 5 seconds.", ("5 min", "5 s")),
        ("The timeout is 5 minutes.", "The timeout is ５ ｓｅｃｏｎｄｓ.", ("5 min", "5 s")),
        # the same quantity written full-width is no change, and a full-width decimal is not its integer part
        ("超时为 ３０ｓ。", "超时为 30 秒。", None),
        ("The model is ５．５ GB.", "The model needs 5 MB of metadata.", None),
        ("The cache holds １０ＧＢ.", "The cache holds 10 GB.", None),
    ],
)
def test_changed_units_read_full_width(answer: str, passage: str, terms: tuple[str, str] | None) -> None:
    found = changed_units(answer, passage)
    assert [c.terms for c in found] == ([terms] if terms else [])
    assert all(c.claim in answer and c.sentence in passage for c in found)  # the original wording, not NFKC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all in ｍｉｌｌｉｓｅｃｏｎｄｓ", {("time", "ms")}),
        ("sizes in ＧＢ: １０ＧＢ", {("size", "GB")}),
        ("单位是毫秒", {("time", "ms")}),
    ],
)
def test_named_units_read_full_width(text: str, expected: set[tuple[str, str]]) -> None:
    assert named_units(text) == expected


def test_renamed_units_read_full_width_and_keep_the_sentence() -> None:
    answer = "The keep alive timer counts ｍｉｌｌｉｓｅｃｏｎｄｓ."
    found = renamed_units(answer, "The keep alive timer counts seconds.")
    assert [(c.claim, c.terms) for c in found] == [(answer, ("ms", "s"))]
