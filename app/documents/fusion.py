"""Reciprocal rank fusion: one ranking from the vector ranking and the BM25 ranking of the same chunks.

App layer, pure (no I/O). RRF uses ranks only, so cosine similarities and BM25 scores never have to be put on
one scale to be merged; a chunk found by both rankings rises, and a chunk only one of them finds still counts
(a Chinese question over an English document is found by the vectors alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# k = 10 (not the usual 60): with ~20 candidates per ranking a small k keeps the top of each ranking decisive.
# Measured in DESIGN.md: k ~ 10 kept the cross-language hits that BM25 alone ranks far down.
RRF_K = 10


@dataclass(frozen=True)
class Fused:
    chunk_id: str
    score: float
    dense_rank: int | None  # 1-based position in the vector ranking, None when it was not a candidate there
    lexical_rank: int | None


def rrf(dense: Sequence[str], lexical: Sequence[str], *, k: int = RRF_K) -> list[Fused]:
    """Chunk ids of both rankings ordered by sum(1 / (k + rank)); ties keep the vector ranking's order."""
    d_rank = {cid: i for i, cid in enumerate(dict.fromkeys(dense), 1)}
    l_rank = {cid: i for i, cid in enumerate(dict.fromkeys(lexical), 1)}
    fused = [
        Fused(
            chunk_id=cid,
            score=(1 / (k + d_rank[cid]) if cid in d_rank else 0.0) + (1 / (k + l_rank[cid]) if cid in l_rank else 0.0),
            dense_rank=d_rank.get(cid),
            lexical_rank=l_rank.get(cid),
        )
        for cid in dict.fromkeys([*d_rank, *l_rank])
    ]
    return sorted(fused, key=lambda f: -f.score)  # stable: equal scores keep first-seen (vector) order
