"""The threshold sweep of calibration: for each candidate threshold, the share of answerable probes refused
and of off-corpus probes answered; and the rule that picks one threshold per language.

App layer (lab), pure. The rule: the lowest threshold that still refuses at least `target` of the off-corpus
probes. Lower would answer more off-corpus questions than promised; higher would only refuse more answerable
ones. The answerable probes do not move the choice, they report what it costs (the other side of the curve).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

GRID = tuple(round(0.05 * i, 2) for i in range(1, 25))  # 0.05 .. 1.20: the printed curve


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CurvePoint(_Frozen):
    threshold: float
    answerable_refused: float | None
    off_corpus_answered: float | None


class Choice(_Frozen):
    lang: str
    threshold: float
    answerable: int
    off_corpus: int
    answerable_refused: float | None
    off_corpus_refused: float
    curve: tuple[CurvePoint, ...]


def _share(values: Sequence[float], predicate: float, below: bool) -> float | None:
    if not values:
        return None
    hits = sum((v < predicate) if below else (v >= predicate) for v in values)
    return round(hits / len(values), 4)


def curve(answerable: Sequence[float], off_corpus: Sequence[float], grid: Sequence[float] = GRID) -> tuple[CurvePoint, ...]:
    return tuple(
        CurvePoint(
            threshold=t,
            answerable_refused=_share(answerable, t, below=True),
            off_corpus_answered=_share(off_corpus, t, below=False),
        )
        for t in grid
    )


def choose(lang: str, answerable: Sequence[float], off_corpus: Sequence[float], *, target: float) -> Choice:
    """The lowest threshold (3 decimals) refusing >= target of the off-corpus scores: refused means score < t."""
    if not off_corpus:
        raise ValueError(f"no off-corpus probes in {lang}: cannot place a threshold")
    ranked = sorted(off_corpus)
    must_refuse = math.ceil(target * len(ranked))  # how many of the lowest scores must fall below t
    # Just above the must_refuse-th lowest off-corpus score (ties included), rounded up to 3 decimals; a
    # relevance below 0 (unknown-terms penalty) is refused at any threshold >= 0, the policy's lower bound.
    threshold = math.floor(ranked[must_refuse - 1] * 1000 + 1) / 1000 if must_refuse else 0.0
    threshold = min(2.0, max(0.0, threshold))
    points = curve(answerable, off_corpus, sorted({*GRID, threshold}))
    return Choice(
        lang=lang,
        threshold=threshold,
        answerable=len(answerable),
        off_corpus=len(off_corpus),
        answerable_refused=_share(answerable, threshold, below=True),
        off_corpus_refused=_share(off_corpus, threshold, below=True) or 0.0,
        curve=points,
    )
