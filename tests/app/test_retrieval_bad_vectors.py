"""The traced retriever against a real local Chroma index when the embedder's query vector has another
dimension than the indexed ones (the same model name, a changed model): a typed RetrievalFailed with a clear
message and a trace event, not Chroma's untyped error escaping as a bug."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents.chunking import ChunkDraft
from app.documents.index import DocumentIndex
from app.fakes import BagOfWordsEmbeddings
from app.retrieval import RetrievalFailed, traced_retriever
from chains import TraceCollector


class Shorter(BagOfWordsEmbeddings):
    """Same id as the indexing embedder, but 100-dimensional query vectors."""

    def embed_query(self, text: str) -> list[float]:
        return super().embed_query(text)[:100]


def test_a_query_vector_of_another_dimension_is_a_typed_retrieval_failure(tmp_path: Path) -> None:
    good = BagOfWordsEmbeddings()
    texts = ["Ollama listens on port 11434.", "Models are pulled from the registry."]
    drafts = [ChunkDraft(chunk_id=f"a#{i}", text=t, heading="", ordinal=i, start=0) for i, t in enumerate(texts)]
    DocumentIndex(path=tmp_path / "idx", collection="docs", embeddings=good).upsert_document(
        "a.md", "sha", drafts, good.embed_documents(texts)
    )
    index = DocumentIndex(path=tmp_path / "idx", collection="docs", embeddings=Shorter())
    collector = TraceCollector()
    retrieve = traced_retriever(lambda: index.search, collector, transport_errors=(ConnectionError,), ollama_host="h")
    with pytest.raises(RetrievalFailed, match="re-ingest"):
        retrieve("what port?", 2)
    (event,) = [e for e in collector.events if e.step == "retrieval"]
    assert event.outcome == "error" and "does not fit the index" in (event.reason or "")
