"""A "+ " list mark at a piece's start is layout, like "- " and "* "; a plus glued to what follows ("+1") or inside
a name ("C++") is not."""

from __future__ import annotations

import pytest

from guardrails.sentences import clauses, sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+ 5 GB of RAM", ["5 GB of RAM"]),
        ("- a\n+ b\n* c", ["a", "b", "c"]),
        ("  + indented item", ["indented item"]),
        ("+\tafter a tab", ["after a tab"]),
        # unchanged
        ("+1 vote", ["+1 vote"]),
        ("C++ is fine", ["C++ is fine"]),
        ("++ x", ["++ x"]),
        ("a + b", ["a + b"]),
    ],
)
def test_plus_list_mark_is_trimmed(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected
    assert clauses(text) == expected
