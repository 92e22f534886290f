"""Deterministic bag-of-words embeddings for unit tests (defined in app.fakes, which the benches share)."""

from app.fakes import BagOfWordsEmbeddings, tokens

__all__ = ["BagOfWordsEmbeddings", "tokens"]
