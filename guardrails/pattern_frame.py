"""A text's quoted spans and its frame (the text with its quotes blanked out), read once: which quote holds a match,
the frame's sentences, whether the frame as a whole asks, speaks to the assistant or hands words over, and what the
frame's sentence around a quote does. pattern_reading.py's `Reading` reads its matches with them.

Pure policy layer (stdlib only). The regexes are in pattern_reading_lexicon.py, the sentence-level tests in
pattern_sentences.py.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import cached_property

from guardrails.pattern_reading_lexicon import CLAUSE_WORDS, DO_EN, DO_EN_AT, DO_ZH, QUOTED, REPORTS, TO_ASSISTANT
from guardrails.pattern_sentences import is_question, masked, sentences

_NOT_SPACE = re.compile(r"\S")


class Frame:
    """One text's quoted spans and the frame around them, each found once, not once per match (quadratic on a long
    text of repeated phrases: minutes for 200 KB)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._own_checks: dict[tuple[int, int], tuple[bool, bool]] = {}

    @cached_property
    def quoted(self) -> tuple[tuple[int, int], ...]:
        """The spans of the text's quotes, in order."""
        return tuple(m.span() for m in QUOTED.finditer(self.text))

    @cached_property
    def _quote_starts(self) -> list[int]:
        return [b for b, _ in self.quoted]

    def quote_holding(self, end: int) -> tuple[int, int] | None:
        """The quoted span q with q.start < end <= q.end (the spans do not overlap: at most one)."""
        index = bisect_left(self._quote_starts, end) - 1
        if index >= 0 and end <= self.quoted[index][1]:
            return self.quoted[index]
        return None

    @cached_property
    def frame(self) -> str:
        """The text with its quotes blanked out (same length: a position in the text is the same in the frame)."""
        return masked(self.text)

    @cached_property
    def frame_sentences(self) -> list[tuple[int, int]]:
        """The frame's sentences, as (start, end) spans."""
        return sentences(self.frame)

    @cached_property
    def _frame_sentence_ends(self) -> list[int]:
        return [e for _, e in self.frame_sentences]

    @cached_property
    def frame_hands_over(self) -> bool:
        """The frame as a whole is too short to ask anything, or hands words over to be done."""
        frame = self.frame
        return len(CLAUSE_WORDS.findall(frame)) < 3 or bool(DO_EN.search(frame) or DO_ZH.search(frame))

    @cached_property
    def frame_speaks(self) -> bool:
        """A sentence of the frame that is not a question speaks to the assistant."""
        frame = self.frame
        return any(TO_ASSISTANT.search(frame[b:e]) and not is_question(frame[b:e]) for b, e in self.frame_sentences)

    @cached_property
    def frame_asks(self) -> bool:
        """A sentence of the frame asks a question."""
        frame = self.frame
        return any(is_question(frame[b:e]) for b, e in self.frame_sentences)

    def order_after(self, position: int) -> bool:
        """The frame after `position`, leading white space left out, opens with an order (DO_EN's match)."""
        found = _NOT_SPACE.search(self.frame, position)
        return found is not None and DO_EN_AT.match(self.frame, found.start()) is not None

    def own_sentence(self, span: tuple[int, int]) -> tuple[bool, bool]:
        """Whether the frame's sentence holding the quote speaks to the assistant, and whether it reports words."""
        sentences = self.frame_sentences
        # The first sentence holding the quote's first or last character, as a scan of the sentences finds it.
        index = bisect_right(self._frame_sentence_ends, span[0])
        if index < len(sentences) and sentences[index][0] <= span[0]:
            own = sentences[index]
        else:
            last = bisect_right(self._frame_sentence_ends, span[1] - 1)
            own = sentences[last] if last < len(sentences) and sentences[last][0] <= span[1] - 1 else (0, len(self.frame))
        key = (own[0], max(own[1], span[1]))
        if key not in self._own_checks:
            mine = self.frame[key[0] : key[1]]
            self._own_checks[key] = (TO_ASSISTANT.search(mine) is not None, REPORTS.search(mine) is not None)
        return self._own_checks[key]
