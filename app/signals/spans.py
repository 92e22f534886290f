"""The short parts of a long text an exemplar detector scores beside the whole: overlapping fixed windows, clause
groups, and Chinese character windows, each as (start, text).

App layer (signals), stdlib only. Sizes count Latin characters; a Chinese character carries about as much as two
Latin ones, so a mostly Chinese text gets half as many characters per part (an attack is then not diluted twice
as much). Read by app/signals/detector.py (scoring) and app/signals/detector_spec.py (windows of long negatives).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate


def window_spans(text: str, size: int, limit: int) -> list[tuple[int, str]]:
    """Overlapping (start, text) windows covering every character of `text`, at most `limit` of them; for a text
    too long for `limit` windows of `size`, the windows widen (never leave a gap). [] when it fits in one.
    `size` counts Latin characters: a mostly Chinese text gets half as many characters per window, since a
    Chinese character carries about as much as two Latin ones (an attack is then not diluted twice as much)."""
    if sum("\u4e00" <= c <= "\u9fff" for c in text) > len(text) * 0.3:
        size = max(1, size // 2)
    if len(text) <= size or limit < 2:
        return []
    size = max(size, -(-2 * len(text) // (limit + 1)))
    if len(text) <= size:
        return []
    count = min(limit, -(-(len(text) - size) // max(1, size // 2)) + 1)
    starts = dict.fromkeys(round(i * (len(text) - size) / (count - 1)) for i in range(count))
    return [(s, text[s : s + size]) for s in starts]


# Where a clause ends: after sentence or clause punctuation (Chinese and Latin) or a line break, at ". ", and at
# whitespace beside a CJK character (Chinese puts no spaces inside a sentence, so a space there is a seam: around
# a Latin word, or where text was pasted in).
_CLAUSE_END = re.compile(r"(?<=[。！？；，、：!?;,:\n])|(?<=\. )|\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+")


def clause_spans(text: str, size: int, limit: int) -> list[tuple[int, str]]:
    """(start, text) groups of consecutive clauses, one starting at each clause, each packed up to `size`
    characters (Latin; halved for a mostly Chinese text, as window_spans) and at least one clause long: the
    frame in which a short attack buried mid-text reads as itself, whatever its length, instead of a share of a
    fixed window. At most `limit`: a text of more clauses gets fewer starts (evenly spaced) and groups as wide
    as the gap between them, so nothing is left uncovered. [] when the text fits in `size`."""
    if sum("\u4e00" <= c <= "\u9fff" for c in text) > len(text) * 0.3:
        size = max(1, size // 2)
    if len(text) <= size or limit < 1:
        return []
    found = [(m.start(), m.end()) for m in _CLAUSE_END.finditer(text)]
    cuts = sorted({0, len(text), *(c for pair in found for c in pair)})
    # A clause starts at its first character that is not a space (a cut after ", " is followed by one).
    starts = sorted({c + len(text[c:]) - len(text[c:].lstrip()) for c in cuts[:-1]} - {len(text)})
    if len(starts) > limit:  # evenly spaced starts and wider groups, each reaching at least the next start
        step = len(text) / limit
        starts = sorted({next(s for s in starts if s >= min(starts[-1], i * step)) for i in range(limit)})
        size = max(size, int(2 * step) + 1)
    spans: dict[str, int] = {}
    for start, after in zip(starts, [*starts[1:], len(text)], strict=True):
        ends = [c for c in cuts if start < c <= start + size]
        end = max(ends[-1] if ends else next(c for c in cuts if c > start), after if len(starts) > 1 else start)
        chunk = text[start:end].rstrip()
        if chunk and chunk != text.strip():
            spans.setdefault(chunk, start)
    return [(start, chunk) for chunk, start in spans.items()]


def _cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def cjk_windows(text: str, size: int, limit: int) -> list[tuple[int, str]]:
    """Overlapping (start, text) windows of `size` Latin characters (a Chinese character counts two) starting
    every third of that, kept where Chinese characters are at least 30% of the window: the frame in which a short
    Chinese attack run into Chinese prose with no seam (no punctuation or space around it, so it shares a clause
    with the prose) is most of a window, as the training exemplars are whole short questions. [] when the text
    fits in `size`, has no Chinese character, or would need more than `limit` windows: widened windows are no
    longer the size of an attack, and on the tune split they were what refused long benign passages, so a longer
    text keeps its fixed windows and clause groups only."""
    units = [2 if _cjk(c) else 1 for c in text]
    if sum(units) <= size or 2 not in units:
        return []
    ends = list(accumulate(units))  # ends[i]: the units up to and including character i
    total, stride = ends[-1], max(1, size // 3)
    count = -(-(total - size) // stride) + 1
    if count > limit:
        return []
    spans: list[tuple[int, str]] = []
    for n in range(count):
        begin = min(n * stride, total - size)  # in units; the last window ends with the text
        start = bisect_right(ends, begin)  # the character holding unit `begin`
        chunk = text[start : bisect_right(ends, begin + size)]
        if chunk.strip() and sum(_cjk(c) for c in chunk) >= 0.3 * len(chunk) and (not spans or spans[-1][0] != start):
            spans.append((start, chunk))
    return spans
