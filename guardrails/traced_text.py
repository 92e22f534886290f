"""A text being rewritten step by step (characters removed, inserted or replaced by regex substitutions, cuts,
translation tables and Unicode normalisation), and for each of its characters the span of the original text it came
from: where something found in the rewritten text stands in the original.

Pure policy layer (stdlib only). Used by deobfuscate.py, whose normaliser undoes disguises one step at a time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

# Where a Unicode normalisation segment starts: a character below U+0300 (Latin-1 and the Latin extensions) or a
# CJK ideograph is never the second half of a composition, nor a combining mark.
_SEGMENT_START = re.compile("[\x00-\u02ff\u4e00-\u9fff]")


@dataclass(frozen=True)
class TracedText:
    """One stage of a rewrite: the text so far, and the original span of each of its characters."""

    text: str
    given: tuple[tuple[int, int], ...] | None  # None: the original text itself, each character its own span

    @cached_property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """Made only when a step changes the text: most texts have nothing to undo."""
        return self.given if self.given is not None else tuple((i, i + 1) for i in range(len(self.text)))

    def sub(self, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]) -> TracedText:
        pieces: list[str] = []
        spans: list[tuple[int, int]] = []
        last = 0
        for match in pattern.finditer(self.text):
            begin, end = match.span()
            pieces.append(self.text[last:begin])
            spans.extend(self.spans[last:begin])
            new = replace(match)
            pieces.append(new)
            spans.extend(_aligned(match.group(0), new, self.spans[begin:end], self._at(begin)))
            last = end
        if not pieces:
            return self
        pieces.append(self.text[last:])
        spans.extend(self.spans[last:])
        return TracedText("".join(pieces), tuple(spans))

    def same_length(self, text: str) -> TracedText:
        """A one-for-one replacement (a translation table)."""
        return self if text == self.text else TracedText(text, self.spans)

    def cut(self, cuts: list[tuple[int, int]]) -> TracedText:
        if not cuts:
            return self
        keep: list[str] = []
        spans: list[tuple[int, int]] = []
        last = 0
        for begin, end in cuts:
            keep.append(self.text[last:begin])
            spans.extend(self.spans[last:begin])
            last = end
        keep.append(self.text[last:])
        spans.extend(self.spans[last:])
        return TracedText("".join(keep), tuple(spans))

    def unicode(self, form: Literal["NFC", "NFKD"]) -> TracedText:
        """Unicode normalisation, one segment at a time: a segment starts at each character below U+0300 or a CJK
        ideograph, which never composes with, or reorders around, the character before it."""
        whole = unicodedata.normalize(form, self.text)
        if whole == self.text:
            return self
        pieces: list[str] = []
        spans: list[tuple[int, int]] = []
        for begin, end in _segments(self.text):
            old = self.text[begin:end]
            new = unicodedata.normalize(form, old)
            pieces.append(new)
            spans.extend(_aligned(old, new, self.spans[begin:end], self._at(begin)))
        if "".join(pieces) != whole:  # not expected; then every character points at the whole text
            everything = (0, max((e for _, e in self.spans), default=0))
            return TracedText(whole, tuple(everything for _ in whole))
        return TracedText(whole, tuple(spans))

    def _at(self, index: int) -> tuple[int, int]:
        """An empty span where text[index] begins in the original (a character inserted there came from nowhere)."""
        if index < len(self.spans):
            return (self.spans[index][0], self.spans[index][0])
        end = self.spans[-1][1] if self.spans else 0
        return (end, end)


def _segments(text: str) -> list[tuple[int, int]]:
    starts = [m.start() for m in _SEGMENT_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


def _aligned(old: str, new: str, spans: tuple[tuple[int, int], ...], at: tuple[int, int]) -> list[tuple[int, int]]:
    """The original spans of `new`, which replaced `old` (whose spans are `spans`): one for one when the lengths
    agree, kept characters when `new` is `old` with some taken out, else each new character stands for all of
    `old` (an inserted one, with `old` empty, for the empty span `at`)."""
    if len(new) == len(old):
        return list(spans)
    if not spans:
        return [at] * len(new)
    kept: list[tuple[int, int]] = []
    index = 0
    for char in new:
        while index < len(old) and old[index] != char:
            index += 1
        if index == len(old):
            break
        kept.append(spans[index])
        index += 1
    if len(kept) == len(new):
        return kept
    whole = (spans[0][0], max(e for _, e in spans))
    return [whole] * len(new)
