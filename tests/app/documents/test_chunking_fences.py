"""chunk_text reads code fences as CommonMark does (checked against markdown-it-py, a CommonMark reference parser
that streamlit's rich brings along) and splits lines only at "\\n" (after "\\r\\n"/"\\r" are normalised)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents.chunking import _sections, chunk_text

markdown_it = pytest.importorskip("markdown_it")


def _headings(text: str) -> list[str]:
    return [c.heading for c in chunk_text(text, source="a.md")]


@pytest.mark.parametrize("line", ["```python```", "```x``` text", "   ```a`b", "````` `code` "])
def test_a_backtick_line_whose_info_string_holds_a_backtick_is_not_a_fence(line: str) -> None:
    """It used to open a fence that never closed: the rest of the document became one code block, headings lost."""
    chunks = chunk_text(f"{line}\n\n# Later\n\nBody text.\n", source="a.md")
    assert [c.heading for c in chunks] == ["", "Later"]
    assert chunks[1].text == "Later\nBody text."


def test_a_tilde_fence_may_have_backticks_in_its_info_string() -> None:
    chunks = chunk_text("~~~ `info`\n# inside\n~~~\n\n# After\n\nText.\n", source="a.md")
    assert [(c.heading, c.text) for c in chunks] == [("", "~~~ `info`\n# inside\n~~~"), ("After", "After\nText.")]


@pytest.mark.parametrize(
    ("closing", "closes"),
    [
        ("```", True),
        ("   ````  ", True),  # up to 3 spaces of indent, longer, trailing spaces
        ("    ```", False),  # 4 spaces: indented code, not a closing fence
        ("\t```", False),
        ("``", False),
        ("~~~", False),  # another character
        ("``` x", False),  # a closing fence has no info string
    ],
)
def test_what_closes_a_backtick_fence(closing: str, closes: bool) -> None:
    text = f"```\ncode\n{closing}\n# Heading\n\nText.\n"
    assert _headings(text) == (["", "Heading"] if closes else [""])


def test_a_longer_fence_needs_a_closing_at_least_as_long() -> None:
    text = "~~~~\n~~~\n# still code\n~~~~~\n# Out\n\nText.\n"
    chunks = chunk_text(text, source="a.md")
    assert [(c.heading, c.text) for c in chunks] == [("", "~~~~\n~~~\n# still code\n~~~~~"), ("Out", "Out\nText.")]


def test_an_unclosed_fence_runs_to_the_end() -> None:
    assert [(c.heading, c.text) for c in chunk_text("# A\n\nx.\n\n```\ncode\n# not a heading\n", source="a.md")] == [
        ("A", "A\nx.\n\n```\ncode\n# not a heading")
    ]


_LINES = [
    "",
    "text here",
    "# H",
    "```",
    "````",
    "```py",
    "```a```",
    "``` x",
    "   ```",
    "    ```",
    "\t```",
    "~~~",
    "~~~~",
    "~~~ `x`",
    "  ~~~  ",
]


def _fences_markdown_it(text: str) -> list[tuple[int, int]]:
    """(first line, last non-blank line) of each fence markdown-it-py finds (CommonMark preset)."""
    lines = text.split("\n")
    found = []
    for token in markdown_it.MarkdownIt("commonmark").parse(text):
        if token.type == "fence" and token.map is not None:
            start, end = token.map
            while end - 1 > start and not lines[end - 1].strip():
                end -= 1
            found.append((start, end - 1))
    return found


def _fences_ours(text: str) -> list[tuple[int, int]]:
    units = [u for s in _sections(text, 10**6) for u in s.units if u.kind == "code"]
    return [(text.count("\n", 0, u.start), text.count("\n", 0, u.end)) for u in units]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_LINES), max_size=14))
def test_fences_are_where_commonmark_puts_them(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert _fences_ours(text) == _fences_markdown_it(text)


@pytest.mark.parametrize("separator", ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_only_newlines_end_lines(separator: str) -> None:
    """str.splitlines splits at these too: text after one became a heading (or a fence) of its own."""
    text = f"Intro text{separator}# Not a heading\n\n# Real\n\nBody.\n"
    chunks = chunk_text(text, source="a.md")
    assert [(c.heading, c.text) for c in chunks] == [("", f"Intro text{separator}# Not a heading"), ("Real", "Real\nBody.")]
    assert [text[c.start : c.start + 5] for c in chunks] == ["Intro", "Body."]


@pytest.mark.parametrize("separator", ["\f", "\u2028", "\x85"])
def test_a_heading_ending_in_a_separator_keeps_its_title_and_offsets(separator: str) -> None:
    text = f"# Title{separator}\nBody one.\n\n## Sub{separator}\n\nBody two.\n"
    chunks = chunk_text(text, source="a.md")
    assert [(c.heading, c.text) for c in chunks] == [("Title", "Title\nBody one."), ("Title > Sub", "Title > Sub\nBody two.")]
    assert [text[c.start : c.start + 8] for c in chunks] == ["Body one", "Body two"]


def test_a_lone_carriage_return_ends_a_line_as_a_newline_does() -> None:
    assert chunk_text("Intro.\r# Head\r\rBody.", source="a.md") == chunk_text("Intro.\n# Head\n\nBody.", source="a.md")
