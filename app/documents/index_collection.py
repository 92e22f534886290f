"""The Chroma collection behind DocumentIndex: opened (created when missing) for one embedder, every call made
through the store under the index deadline, its chunks read page by page and written in the store's batches.
Part of app/documents, beside index.py (the public API, which holds the write lock and keeps the lexical
index in step around these calls) and index_rows.py (the call bodies and what is stored with each chunk).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import chromadb.errors

from app.documents.embeddings import IdentifiedEmbeddings, embedder_id_of
from app.documents.index_rows import PAGE, delete, list_page, now, rows_page
from app.documents.index_types import EmbedderMismatchError
from app.documents.store import ChromaStore

T = TypeVar("T")


class IndexCollection:
    """One collection (cosine space) of `store`, tagged with the embedder whose vectors it holds.

    Chroma never embeds anything here: the collection is opened with `embedding_function=None` and vectors are
    always passed explicitly, so its default model (a run-time download) is never used."""

    def __init__(
        self, store: ChromaStore, name: str, embeddings: IdentifiedEmbeddings, *, timeout: float, where: Path | str
    ) -> None:
        """`where`: what messages name (the index's directory, or the Chroma server's URL)."""
        self.store = store
        self.name = name
        self.embedder_id = embedder_id_of(embeddings)
        self._embeddings = embeddings
        self._timeout = timeout
        self._where = where

    @property
    def width(self) -> int | None:
        """The width of the configured embedder's vectors, when it knows it before embedding anything."""
        found: int | None = getattr(self._embeddings, "dimension", None)
        return found

    def _open(self, client: Any) -> Any:
        metadata: dict[str, str | int] = {"embedder_id": self.embedder_id, "created_at": now()}
        if self.width:
            metadata["dimension"] = self.width
        return client.get_or_create_collection(
            self.name, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata, embedding_function=None
        )

    def call(self, what: str, fn: Callable[[Any], T], *, write: bool = False) -> T:
        """fn(collection) through the store: fresh, bounded by the index deadline."""
        return self.store.collection(self.name, self._open, what, fn, seconds=self._timeout, write=write)

    def run(self, what: str, fn: Callable[[Any], T], *, write: bool = False) -> T:
        """fn(client) through the store, bounded by the index deadline."""
        return self.store.run(what, fn, seconds=self._timeout, write=write)

    def drop(self) -> None:
        """Delete the collection (gone already: nothing to do)."""

        def drop(client: Any) -> None:
            with contextlib.suppress(chromadb.errors.NotFoundError):
                client.delete_collection(self.name)

        self.run("dropping the collection", drop, write=True)

    def recreate(self) -> None:
        """Open the collection anew (after it was dropped), creating it empty for the configured embedder."""
        self.store.forget(self.name)
        self.call("recreating the collection", lambda _c: None, write=True)

    # ---- identity -------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        return dict(self.call("reading the index metadata", lambda c: c.metadata or {}))

    def check(self, meta: Mapping[str, Any]) -> None:
        """Raise EmbedderMismatchError if `meta` (the collection's) says its vectors came from another embedder or
        width."""
        stored = str(meta.get("embedder_id", ""))
        width = int(meta["dimension"]) if meta.get("dimension") else None
        mine = self.width
        if stored != self.embedder_id or (mine and width and mine != width):
            raise EmbedderMismatchError(
                index_embedder=stored or "an unknown embedder",
                index_dimension=width,
                configured=self.embedder_id,
                dimension=mine,
                path=self._where,
            )

    def verified(self, collection: Any) -> Any:
        """The collection, after the embedder check on the metadata it was opened with (no call to Chroma: a
        search checks inside its own query call instead of paying a call, and a thread, of its own)."""
        self.check(collection.metadata or {})
        return collection

    def record_width(self, meta: Mapping[str, Any], width: int) -> None:
        """Record the vector width in the collection's metadata `meta` (embedders that learn it, as Ollama's)."""
        self.call("recording the vector width", lambda c: c.modify(metadata={**meta, "dimension": width}), write=True)

    # ---- reading --------------------------------------------------------------------------------
    def metadatas(self, where: dict[str, Any] | None = None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(chunk id, metadata) of the chunks matching `where` (all: None), page by page."""
        offset = 0
        while True:
            page = self.call("listing chunks", partial(list_page, where=where, offset=offset))
            yield from zip(page["ids"], page["metadatas"] or [], strict=True)
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def rows(self) -> Iterator[tuple[str, str, str]]:
        """(chunk id, source, text) of every stored chunk, page by page."""
        offset = 0
        while True:
            page = self.call("reading chunks", partial(rows_page, offset=offset))
            for cid, text, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True):
                if meta is not None:
                    yield cid, str(meta["source"]), text or ""
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def texts(self, ids: list[str]) -> list[tuple[str, str]]:
        """(id, text) of stored chunks."""
        if not ids:
            return []
        got = self.call("reading chunks", lambda c: c.get(ids=ids, include=["documents"]))
        return [(cid, text or "") for cid, text in zip(got["ids"], got["documents"] or [], strict=True)]

    def fetch(self, ids: list[str]) -> list[tuple[str, str, str, Any]]:
        """(id, source, text, vector) of the chunks `ids` still stored (fewer when another process deleted some)."""
        if not ids:
            return []
        got = self.call("reading chunks", lambda c: c.get(ids=ids, include=["documents", "metadatas", "embeddings"]))
        embeddings = got["embeddings"] if got["embeddings"] is not None else [[] for _ in got["ids"]]
        return [
            (cid, str(meta["source"]), text or "", vec)
            for cid, text, meta, vec in zip(got["ids"], got["documents"], got["metadatas"], embeddings, strict=True)
            if meta is not None  # deleted by another process after this view was loaded (see index_search.nearest)
        ]

    # ---- writing (the caller holds the write lock) ----------------------------------------------
    def batch_size(self) -> int:
        return int(self.run("reading the batch size", lambda client: client.get_max_batch_size()))

    def write_batches(self, what: str, body: Callable[..., None], columns: Mapping[str, Sequence[Any]]) -> None:
        """body(collection, batch=...) for each run of the store's batch size through the equally long `columns`
        (ids, embeddings, documents, metadatas: whichever the call takes)."""
        step = self.batch_size()
        total = len(columns["ids"])
        for i in range(0, total, step):
            batch = {key: list(values[i : i + step]) for key, values in columns.items()}
            self.call(what, partial(body, batch=batch), write=True)

    def delete(self, ids: list[str]) -> None:
        """Delete the chunks `ids`, in batches: large id lists would exceed SQLite's variable limit."""
        self.write_batches("deleting chunks", delete, {"ids": ids})
