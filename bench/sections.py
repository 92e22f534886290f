"""Sections of docs/BENCHMARKS.md measured outside `make bench` (the soak, `make soak`): bench/soak.py writes its
own section, and bench/run_all.py carries it over when it rewrites the page, so neither run erases the other's."""

from __future__ import annotations

import re

KEPT = ("soak",)  # sections that run_all.py does not produce and must keep


def find(text: str, name: str) -> str | None:
    """The `## name` section of `text` (heading to the next `## ` heading or the end), or None."""
    match = re.search(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    return match.group(0).rstrip() + "\n" if match else None


def put(text: str, name: str, section: str) -> str:
    """`text` with its `## name` section replaced by `section` (appended when it has none)."""
    section = section.rstrip() + "\n"
    old = find(text, name)
    if old is None:
        return text.rstrip() + "\n\n" + section
    start = text.index(old.rstrip())
    end = start + len(old.rstrip())
    rest = text[end:].lstrip("\n")
    return text[:start] + section + ("\n" + rest if rest else "")


def carry_over(old: str, new: str) -> str:
    """`new` (a fresh `make bench` page) with the KEPT sections of `old` appended."""
    for name in KEPT:
        found = find(old, name)
        if found is not None and find(new, name) is None:
            new = put(new, name, found)
    return new
