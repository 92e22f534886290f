"""Reciprocal rank fusion: one ranking from the vector ranking and the BM25 ranking of the same chunks.

App layer, pure (no I/O). RRF uses ranks only, so cosine similarities and BM25 scores never have to be put on
one scale to be merged; a chunk found by both rankings rises, and a chunk only one of them finds still counts
(a Chinese question over an English document is found by the vectors alone).

A ranking that cannot see a chunk abstains instead of ranking it last: BM25 finds a passage in the other language
than the question only through the words both languages share (identifiers, names, numbers), so for such a chunk
it did not rank, the share of its vote it could not cast (`blind`, from the lexical index) goes to the chunk's
vector rank. Without that, the vectors' first choice in the other language (an English question whose answer is
only in a Chinese document) lost its place among the k to passages both rankings placed low.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    abstained: float = 0.0  # share of the BM25 vote cast at the vector rank (BM25 could not see the chunk)


def rrf(dense: Sequence[str], lexical: Sequence[str], *, k: int = RRF_K, blind: Mapping[str, float] | None = None) -> list[Fused]:
    """Chunk ids of both rankings ordered by sum(1 / (k + rank)); ties keep the vector ranking's order. `blind`:
    chunk id -> how much of the BM25 vote it could not cast for that chunk (0..1); for a chunk with a vector rank
    and no BM25 rank that share counts at its vector rank: blind / (k + dense rank)."""
    d_rank = {cid: i for i, cid in enumerate(dict.fromkeys(dense), 1)}
    l_rank = {cid: i for i, cid in enumerate(dict.fromkeys(lexical), 1)}
    abstained = {cid: min(1.0, max(0.0, share)) for cid, share in (blind or {}).items() if cid in d_rank and cid not in l_rank}

    def score(cid: str) -> float:
        vote = 1 / (k + d_rank[cid]) if cid in d_rank else 0.0
        if cid in l_rank:
            return vote + 1 / (k + l_rank[cid])
        return vote + abstained.get(cid, 0.0) * vote  # the abstained share of BM25's vote, at the vector rank

    fused = [
        Fused(
            chunk_id=cid,
            score=score(cid),
            dense_rank=d_rank.get(cid),
            lexical_rank=l_rank.get(cid),
            abstained=abstained.get(cid, 0.0),
        )
        for cid in dict.fromkeys([*d_rank, *l_rank])
    ]
    return sorted(fused, key=lambda f: -f.score)  # stable: equal scores keep first-seen (vector) order
