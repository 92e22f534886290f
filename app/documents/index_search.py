"""The vector half of DocumentIndex.search: the nearest chunks to a question's vector, as candidates for the
hybrid ranking (ids and scores) or as the answer of a vector-only search (whole chunks). Part of app/documents,
beside index.py (which fuses the candidates with the lexical index's, app/documents/hybrid.py).
"""

from __future__ import annotations

from typing import Any

from app.documents.hybrid import distinct_passages
from app.documents.index_collection import IndexCollection
from guardrails.base import Chunk


def score(distance: Any) -> float:
    """1 - cosine distance, clamped to 0..1."""
    return min(1.0, max(0.0, 1.0 - float(distance)))


def candidates(chroma: IndexCollection, vector: list[float], n: int) -> list[tuple[str, float]]:
    """(chunk id, score) of the `n` chunks nearest to `vector`, best first. Ids and distances only: reading 20
    documents costs more than the query itself."""
    found = chroma.call(
        "searching", lambda c: chroma.verified(c).query(query_embeddings=[vector], n_results=n, include=["distances"])
    )
    return [(cid, score(d)) for cid, d in zip(found["ids"][0], found["distances"][0], strict=True)]


def nearest(chroma: IndexCollection, vector: list[float], k: int) -> list[Chunk]:
    """The k chunks nearest to `vector`, best first, one per passage."""
    for _ in range(2):
        found = chroma.call(
            "searching",
            lambda c: chroma.verified(c).query(  # 2k: room for the repeats of a passage that are skipped
                query_embeddings=[vector], n_results=2 * k, include=["documents", "metadatas", "distances"]
            ),
        )
        # A hit without metadata is a chunk another process deleted after this view was loaded (measured while
        # three processes ingested): drop it, reload the view, search once more.
        if all(meta is not None for meta in found["metadatas"][0]):
            break
        chroma.store.mark_stale()
    hits = zip(found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True)
    chunks = (
        Chunk(chunk_id=cid, source=str(meta["source"]), text=text or "", score=score(dist))
        for cid, text, meta, dist in hits
        if meta is not None
    )
    return distinct_passages(chunks, k)
