"""The pattern families' prefilter: does any of their patterns match a text at all? Benign text (nearly all of
it) stops here; only a match pays for the per-pattern scans that collect the evidence (pattern_family.py).

Pure policy layer (stdlib only). One search over one alternation of every pattern tries every pattern at every
character (~80 µs for a one-line question, linear in its length). Most patterns start with a word boundary
and then a word character: such a pattern can only match where a word starts, and only if that word starts
with one of its first characters. So those are tried at word starts only, and per first character only the
patterns that can begin with it; the other patterns keep one search. The answer is the same: a pattern
whose first characters cannot be read for certain (anything but plain ASCII letters, digits and _) is
searched everywhere, and a word starting with a non-ASCII character (which IGNORECASE may fold onto an
ASCII letter: 'ſ' ~ 's', the Kelvin sign ~ 'k') gets every word-start pattern.
"""

from __future__ import annotations

import importlib
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_WORD_START = re.compile(r"\b\w")
_ASCII_WORD = frozenset(string.ascii_letters + string.digits + "_")


@dataclass(frozen=True)
class Prefilter:
    anywhere: re.Pattern[str] | None  # patterns searched at every position
    by_first: Mapping[str, re.Pattern[str]]  # lower-case ASCII word character -> word-start patterns it can begin
    every_start: re.Pattern[str] | None  # all word-start patterns (a word starting with a non-ASCII character)

    def matches(self, text: str) -> bool:
        if self.anywhere is not None and self.anywhere.search(text) is not None:
            return True
        if self.every_start is None:
            return False
        for start in _WORD_START.finditer(text):
            pos = start.start()
            char = text[pos]
            pattern = self.by_first.get(char.lower()) if char.isascii() else self.every_start
            # match(text, pos) sees the text before pos, so the pattern's leading \b is checked as in a search
            if pattern is not None and pattern.match(text, pos) is not None:
                return True
        return False


def build(sources: Iterable[str], flags: int) -> Prefilter:
    anywhere: list[str] = []
    starts: dict[str, frozenset[str]] = {}
    for source in dict.fromkeys(sources):
        first = word_start_chars(source, flags)
        if first is None:
            anywhere.append(source)
        else:
            starts[source] = first
    chars = sorted({c for first in starts.values() for c in first})
    return Prefilter(
        anywhere=_alternation(anywhere, flags),
        by_first={c: p for c in chars if (p := _alternation([s for s, f in starts.items() if c in f], flags)) is not None},
        every_start=_alternation(list(starts), flags),
    )


def word_start_chars(source: str, flags: int) -> frozenset[str] | None:
    """The lower-case ASCII word characters a match of `source` can start with, when every match starts at a
    word boundary with one of them; else None. Read with the stdlib's own regex parser, a private module (no
    stubs, hence the dynamic import): should it move or change, every pattern is searched everywhere (slower,
    same answers)."""
    try:
        parser = importlib.import_module("re._parser")
        constants = importlib.import_module("re._constants")
        parsed = list(parser.parse(source, flags))
    except Exception:  # the private parser moved or changed
        return None
    if not parsed or parsed[0] != (constants.AT, constants.AT_BOUNDARY):
        return None
    found = _first(parsed[1:])
    if found is None or found[1] or not found[0]:
        return None  # unknown, or the rest can match empty (then a match may start at a word's end)
    return found[0]


def _first(items: Sequence[tuple[Any, Any]]) -> tuple[frozenset[str], bool] | None:
    """(first characters, can match empty) of a parsed sequence; None when not plainly ASCII word characters."""
    chars: set[str] = set()
    for op, av in items:
        got = _first_item(str(op), av)
        if got is None:
            return None
        chars |= got[0]
        if not got[1]:
            return frozenset(chars), False
    return frozenset(chars), True


def _first_item(op: str, av: Any) -> tuple[frozenset[str], bool] | None:
    if op == "LITERAL":
        char = chr(av)
        return (frozenset({char.lower()}), False) if char in _ASCII_WORD else None
    if op == "IN":
        chars: set[str] = set()
        for item_op, item in av:
            if str(item_op) == "LITERAL":
                members = [chr(item)]
            elif str(item_op) == "RANGE":
                members = [chr(c) for c in range(item[0], item[1] + 1)]
            else:  # NEGATE, CATEGORY (\w, \s...): not a plain list of characters
                return None
            if not all(m in _ASCII_WORD for m in members):
                return None
            chars.update(m.lower() for m in members)
        return frozenset(chars), False
    if op == "BRANCH":
        firsts = [_first(alternative) for alternative in av[1]]
        if any(f is None for f in firsts):
            return None
        return frozenset(c for f in firsts if f is not None for c in f[0]), any(f is not None and f[1] for f in firsts)
    if op == "SUBPATTERN":
        _, add_flags, del_flags, sub = av
        return _first(sub) if not add_flags and not del_flags else None
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, sub = av
        got = _first(sub)
        return None if got is None else (got[0], got[1] or low == 0)
    return None  # anything else (assertions, groups referenced, any character...): not read


def _alternation(sources: Sequence[str], flags: int) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{s})" for s in sources), flags) if sources else None
