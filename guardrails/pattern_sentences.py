"""The sentence-level reading of a frame (pattern_reading.py): the text with its quotes blanked out, where its
sentences start and end, and whether a sentence asks a question (English or Chinese).

Pure policy layer (stdlib only).
"""

from __future__ import annotations

from guardrails.pattern_reading_lexicon import CJK, EN_ASKS, QUOTED, SENTENCE_END, ZH_ASKS, ZH_NO_MATTER, ZH_QUESTION_END

__all__ = ["is_question", "masked", "sentences", "zh_question"]


def masked(text: str) -> str:
    """`text` with every quoted span blanked out (same length, so offsets still hold): what the frame says."""
    return QUOTED.sub(lambda m: "_" * len(m.group(0)), text)


def zh_question(sentence: str) -> bool | None:
    """Whether a Chinese sentence (one with a CJK character) asks a question; None for any other sentence."""
    if not CJK.search(sentence):
        return None
    asked = ZH_NO_MATTER.sub("", sentence)
    return ZH_QUESTION_END.search(asked) is not None and ZH_ASKS.search(asked) is not None


def is_question(sentence: str) -> bool:
    """A Chinese question (zh_question), or an English one: opens with a question word or an auxiliary, ends with "?"."""
    zh = zh_question(sentence)
    if zh is not None:
        return zh
    return EN_ASKS.match(sentence) is not None and sentence.rstrip().endswith("?")


def sentences(text: str) -> list[tuple[int, int]]:
    """The (start, end) bounds of the sentences of `text`, each ending after its stop (SENTENCE_END)."""
    bounds, begin = [], 0
    for stop in SENTENCE_END.finditer(text):
        bounds.append((begin, stop.end()))
        begin = stop.end()
    return [*bounds, (begin, len(text))] if begin < len(text) else bounds
