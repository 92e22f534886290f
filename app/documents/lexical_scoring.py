"""BM25 scoring over one snapshot of the lexical index's entries (bm25s, Lucene scoring): a query's best chunks,
their scores normalised to 0..1, the query terms no chunk contains, and how much of the query's weight a chunk in
the other language could never match (scripts.py).

App layer, used by lexical.py, which owns the entries and builds a new snapshot after they change.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.documents.lexical_file import Entries
from app.documents.scripts import Scripts

K1, B = 1.5, 0.75  # bm25s (Lucene) defaults: the measured hybrid numbers in DESIGN.md used them


@dataclass(frozen=True)
class LexicalResult:
    """BM25 for one query: the best chunk ids (best first) and every chunk's normalised score (0..1)."""

    ranked: tuple[str, ...]
    normalized: dict[str, float]
    terms: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # query terms no chunk of the corpus contains
    # chunk id (of those asked about in `also`) in the other language than the query -> the share of the query's
    # BM25 weight it cannot match (app.documents.scripts); fusion casts that share of the vote at its vector rank
    blind: Mapping[str, float] = field(default_factory=dict)


class Bm25Snapshot:
    """BM25 over `chunks` (chunk id -> (source, terms)) as they are when it is built; at least one chunk."""

    def __init__(self, chunks: Entries) -> None:
        import bm25s  # deferred: numpy machinery, only needed once something is searched

        self._order = list(chunks)
        self._position = {cid: i for i, cid in enumerate(self._order)}
        self._df = Counter(t for cid in self._order for t in set(chunks[cid][1]))
        self._scripts = Scripts.of({cid: chunks[cid][1] for cid in self._order})
        bm25 = bm25s.BM25(k1=K1, b=B)
        bm25.index([list(chunks[cid][1]) or [""] for cid in self._order], show_progress=False)
        self._bm25: Any = bm25

    def unknown(self, wanted: tuple[str, ...]) -> tuple[str, ...]:
        """The terms of `wanted` no chunk contains."""
        return tuple(t for t in wanted if self._df.get(t, 0) == 0)

    def search(self, query: str, wanted: tuple[str, ...], n: int, *, also: Iterable[str] = ()) -> LexicalResult:
        """The n best chunks for `query` (its terms: `wanted`); see LexicalIndex.search."""
        total = len(self._order)
        unknown = self.unknown(wanted)
        known = [t for t in wanted if t not in unknown]
        if not known:
            return LexicalResult(ranked=(), normalized={}, terms=wanted, unknown=unknown)
        scores = np.asarray(self._bm25.get_scores(known), dtype=np.float64)
        weights = {t: _idf(total, self._df.get(t, 0)) for t in wanted}
        norm = sum(weights.values())
        order = self._order
        hit = np.flatnonzero(scores > 0)
        best = hit[np.argsort(-scores[hit], kind="stable")[:n]]
        ranked = tuple(order[i] for i in best.tolist())
        # Normalised scores only where asked: a common term hits most of a large corpus, and a dict of
        # every hit would cost more than the search.
        position = self._position
        wanted_ids = {*ranked, *(cid for cid in also if cid in position)}
        normalized = {cid: min(1.0, float(scores[position[cid]]) / norm) for cid in wanted_ids if scores[position[cid]] > 0}
        blind = self._scripts.blind(query, weights, (cid for cid in also if cid in position))
        return LexicalResult(ranked=ranked, normalized=normalized, terms=wanted, unknown=unknown, blind=blind)


def _idf(total: int, df: int) -> float:
    """Lucene's BM25 IDF (what bm25s uses), also for unseen terms (df = 0)."""
    return math.log(1 + (total - df + 0.5) / (df + 0.5))
