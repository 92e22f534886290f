"""Test helpers for the chain tests: fixed chunks and a recording retriever. The strict scripted chat model
lives in app.fakes (the benches use it too) and is re-exported here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.fakes import ScriptedChatModel, scripted
from guardrails import Chunk

__all__ = ["FixedRetriever", "ScriptedChatModel", "make_chunks", "scripted"]


def make_chunks(texts: Iterable[tuple[str, str]], *, score: float = 0.8) -> list[Chunk]:
    """(source, text) pairs -> chunks with stable ids c1, c2, ..."""
    return [Chunk(chunk_id=f"c{i}", source=src, text=text, score=score) for i, (src, text) in enumerate(texts, 1)]


class FixedRetriever:
    """Returns the given chunks for every query and records the queries."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self.queries: list[str] = []

    def __call__(self, query: str, k: int) -> list[Chunk]:
        self.queries.append(query)
        return self.chunks[:k]
