"""Deterministic bag-of-words embeddings for unit tests: no model, no network, and ranking that means something.

English words (lower-cased, length >= 2) and CJK character bigrams (plus single characters) are hashed
into `dimension` buckets; the count vector is L2-normalised, so cosine similarity ~ shared-token overlap.
"""

from __future__ import annotations

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings

_WORD = re.compile(r"[a-z0-9_]{2,}")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOPWORDS = frozenset("the a an of to in is are and or for on with it this that be by as at from".split())


def tokens(text: str) -> list[str]:
    """The features a text is made of: English words, and CJK unigrams and bigrams."""
    lowered = text.lower()
    found = [w for w in _WORD.findall(lowered) if w not in _STOPWORDS]
    for run in _CJK_RUN.findall(lowered):
        found.extend(run)
        found.extend(run[i : i + 2] for i in range(len(run) - 1))
    return found


class BagOfWordsEmbeddings(Embeddings):
    """Hash-bucket bag of words. Identical texts embed identically; texts sharing no token are orthogonal
    (up to hash collisions); a text with no tokens gets a fixed unit vector so cosine stays defined."""

    def __init__(self, dimension: int = 256, embedder_id: str = "fake-bow") -> None:
        self._dimension = dimension
        self._id = embedder_id
        self.calls: list[int] = []  # batch sizes seen, so tests can assert batching/idempotency

    @property
    def embedder_id(self) -> str:
        return self._id

    @property
    def dimension(self) -> int:
        return self._dimension

    def _bucket(self, token: str) -> int:
        digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self._dimension

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self._dimension
        for token in tokens(text):
            vector[self._bucket(token)] += 1.0
        norm = math.sqrt(sum(v * v for v in vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)
