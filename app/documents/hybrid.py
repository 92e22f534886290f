"""Hybrid retrieval: the vector candidates and the BM25 candidates of one question fused into one ranking, each
returned chunk carrying both of its scores (cosine similarity and normalised BM25) and both of its ranks.

App layer, used by DocumentIndex.search. Pure apart from `fetch`, which reads the chunks only BM25 found (their
text and stored vector, to give them a cosine similarity too) from the vector store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from app.documents.fusion import rrf
from app.documents.lexical_scoring import LexicalResult
from guardrails.base import Chunk

# Candidates taken from each ranking before fusion: enough that a chunk ranked well by one ranking and
# badly by the other is still seen; ~20 keeps a Chroma query and the fetch of BM25-only hits around 1 ms.
CANDIDATES = 20

Fetch = Callable[[list[str]], list[tuple[str, str, str, Sequence[float]]]]  # ids -> (id, source, text, vector)


def passage_key(text: str) -> str:
    """What makes two chunks the same passage: their text with whitespace collapsed. A folder often holds a
    file twice (a copy, an export next to its source); k places filled with one passage would push the
    others out of the model's context and the relevance check's evidence."""
    return " ".join(text.split())


def distinct_passages(chunks: Iterable[Chunk], k: int) -> list[Chunk]:
    """The first `k` chunks of `chunks` (best first) with no passage twice: a repeat of a passage already
    taken is skipped and the next chunk takes its place. Both retrieval modes return through this."""
    out: list[Chunk] = []
    seen: set[str] = set()
    for chunk in chunks:
        key = passage_key(chunk.text)
        if key in seen:  # the same passage in a second file (a copy, shared boilerplate)
            continue
        seen.add(key)
        out.append(chunk)
        if len(out) == k:
            break
    return out


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return min(1.0, max(0.0, float(va @ vb) / denom)) if denom else 0.0


def merge(
    dense: Sequence[tuple[str, float]], lexical: LexicalResult, *, k: int, query_vector: Sequence[float], fetch: Fetch
) -> list[Chunk]:
    """The k best chunks by reciprocal rank fusion of `dense` ((id, cosine) best first) and the BM25 ranking,
    each with `score` (cosine), `lexical` (normalised BM25, 0.0 when it shares no term with the question)
    and its rank in each ranking. Only the winners are read from the store (text, source, vector); a chunk
    only BM25 found gets its cosine from its stored vector, measured, not guessed. Ids the store no longer
    holds, and repeats of a passage already taken (same text, another file), are skipped and the next fused
    candidate takes their place."""
    cosines = dict(dense)
    fused = rrf([cid for cid, _ in dense], lexical.ranked, blind=lexical.blind)
    rows = {row[0]: row for row in fetch([f.chunk_id for f in fused[:k]])}
    if len({passage_key(r[2]) for r in rows.values()}) < min(k, len(fused)):  # lost by the store, or repeated
        rows |= {row[0]: row for row in fetch([f.chunk_id for f in fused[k : 3 * k]])}

    def candidates() -> Iterator[Chunk]:
        for f in fused:
            if f.chunk_id not in rows:
                continue
            cid, source, text, vector = rows[f.chunk_id]
            yield Chunk(
                chunk_id=cid,
                source=source,
                text=text,
                score=cosines[cid] if cid in cosines else cosine(query_vector, vector),
                lexical=round(lexical.normalized.get(cid, 0.0), 4),
                dense_rank=f.dense_rank,
                lexical_rank=f.lexical_rank,
            )

    return distinct_passages(candidates(), k)
