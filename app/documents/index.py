"""The document index: one Chroma collection of chunk vectors, tagged with the embedder that made them.

App layer (composition root): reaches Chroma through app.documents.store (one client per process, deadlines,
one writer) and keeps the BM25 half of hybrid search (app.documents.lexical) in step; chains/ receive `DocumentIndex.search` results as `guardrails.base.Chunk`s and never import Chroma.
This module is the public API and keeps the parts in step; the parts: index_collection.py (the Chroma collection:
bounded calls, embedder check, pages and batches), index_search.py (the vector search), index_locks.py (readers
and the write lock), index_rows.py (what is stored with each chunk). Machines writing through one Chroma server:
server_sync.py.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from app.documents import index_locks
from app.documents.chunking import ChunkDraft
from app.documents.embeddings import IdentifiedEmbeddings
from app.documents.hybrid import CANDIDATES, merge
from app.documents.index_collection import IndexCollection
from app.documents.index_rows import chunk_metas, consistent_sha, document_infos, now, update, upsert
from app.documents.index_search import candidates, nearest
from app.documents.index_types import DocumentInfo, IndexStats
from app.documents.integrity import IndexIntegrity
from app.documents.lexical import ChunkRows, LexicalIndex
from app.documents.rebuild_marker import mark_rebuild_finished, mark_rebuild_started
from app.documents.server import server_store
from app.documents.server_sync import ServerSync, new_token, superseded, tokens
from app.documents.store import ChromaStore, IndexUnavailableError, store_for
from app.documents.writelock import OnWait
from guardrails.base import Chunk

if TYPE_CHECKING:
    from app.settings import Settings

T = TypeVar("T")


class DocumentIndex:
    """Chunks in a persistent Chroma collection (cosine space), searched with the given embeddings; Chroma never
    embeds anything here (index_collection.IndexCollection).

    One writer: Chroma is not safe with two processes writing the same directory, so every write holds the
    index's cross-process WriteLock (app.documents.writelock), and `writing()` lets a caller (ingest) hold it
    for a whole batch. The lexical index file is written under the same lock: by the writer, or by a reader
    that rebuilt it from Chroma only when no writer holds the lock (readers are never blocked). Every Chroma call has a deadline (app.documents.store): IndexUnavailableError.
    An embedder mismatch is reported on search/upsert (`EmbedderMismatchError`), not on open, so that
    `reset()` (ingest --rebuild) and the listing methods still work on a mismatched index.
    """

    def __init__(
        self,
        *,
        path: Path,
        collection: str,
        embeddings: IdentifiedEmbeddings,
        timeout: float = 20.0,
        lock_timeout: float = 600.0,
        store: ChromaStore | None = None,
        hybrid: bool = True,
    ) -> None:
        """`store`: another client (a Chroma server's); default: the process's local store for `path`."""
        self._path = Path(path)
        self._name = collection
        self._embeddings = embeddings
        self._timeout = timeout
        self._lock_timeout = lock_timeout
        self._store: ChromaStore = store or store_for(self._path)
        self._where: Path | str = self._store.server or self._path  # what messages and stats name
        self._chroma = IndexCollection(self._store, collection, embeddings, timeout=timeout, where=self._where)
        # Creates the collection, so a fresh index is ready. An index that cannot be opened still builds: its calls
        # each say why, and `ingest --rebuild` (which every such message recommends) needs the object to repair it.
        with contextlib.suppress(IndexUnavailableError):
            self._col("opening the collection", lambda _c: None)
        # The BM25 half of hybrid search, derived from this collection (see app/documents/lexical.py for how
        # it stays consistent). Kept in step on every write even when searching by vectors only.
        self._hybrid = hybrid
        self._sync = ServerSync(self._store, collection, timeout=timeout)  # other machines' writes (server_sync)
        self._lexical = LexicalIndex(
            self._path / "lexical" / f"{collection}.json",
            ChunkRows(self._all_ids, self._chroma.rows, self._sync.generation),
            may_persist=lambda: index_locks.may_persist(self._store.lock),
        )

    @classmethod
    def from_settings(cls, settings: Settings, embeddings: IdentifiedEmbeddings) -> DocumentIndex:
        """The local directory <home>/index, or the Chroma server at GUARDED_RAG_CHROMA_URL when it is set."""
        token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
        store = server_store(settings.chroma_url, token, timeout=settings.index_timeout) if settings.chroma_url else None
        return cls(
            store=store,
            path=settings.index_dir,
            collection=settings.collection,
            embeddings=embeddings,
            timeout=settings.index_timeout,
            lock_timeout=settings.write_lock_timeout,
            hybrid=settings.retrieval == "hybrid",
        )

    def _col(self, what: str, fn: Callable[[Any], T], *, write: bool = False) -> T:
        """fn(collection) through the store: fresh, bounded by the index deadline."""
        return self._chroma.call(what, fn, write=write)

    def _metadatas(self, where: dict[str, Any] | None = None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        return self._chroma.metadatas(where)

    def writing(
        self, what: str = "write", *, on_wait: OnWait | None = None, rebuilding: bool = False
    ) -> contextlib.AbstractContextManager[None]:
        """Hold the index's write lock (cross-process) for a batch of writes; reentrant for this thread. With
        `rebuilding`, an index that cannot be opened does not fail the section: `reset()` inside it sets it aside."""
        return self._store.writing(
            what,
            seconds=self._timeout,
            lock_timeout=self._lock_timeout,
            on_wait=on_wait,
            unreadable=index_locks.left_to_reset if rebuilding else None,
        )

    # ---- identity -------------------------------------------------------------------------------
    @property
    def embedder_id(self) -> str:
        """The embedder this instance is configured with (what new vectors must come from)."""
        return self._chroma.embedder_id

    @property
    def index_embedder_id(self) -> str:
        return str(self._chroma.metadata().get("embedder_id", ""))

    @property
    def dimension(self) -> int | None:
        found = self._chroma.metadata().get("dimension")
        return int(found) if found else None

    def check(self) -> None:
        """Raise EmbedderMismatchError if the stored vectors came from another embedder or width."""
        self._chroma.check(self._chroma.metadata())

    # ---- reading --------------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._col("counting chunks", lambda c: c.count()))

    def is_empty(self) -> bool:
        return self.count() == 0

    def search(self, query: str, k: int, *, hybrid: bool | None = None) -> list[Chunk]:
        """The k chunks nearest to `query`, best first; score = 1 - cosine distance, clamped to 0..1. `hybrid`: fuse
        in the BM25 ranking (a request's retrieval mode); None: as this index was opened."""
        if k < 1:
            self.check()
            return []
        # No count() first: it costs as much as half a query, and Chroma already returns fewer than k
        # hits (none for an empty collection) when it holds fewer chunks.
        vector = self._embeddings.embed_query(query)
        if not (self._hybrid if hybrid is None else hybrid):
            return nearest(self._chroma, vector, k)
        # Ids and distances only for the candidates; the text of the k fused winners is read afterwards, in one call.
        dense = candidates(self._chroma, vector, max(k, CANDIDATES))
        if not self._lexical.knows(cid for cid, _ in dense) or self._server_changed():  # another process wrote
            self._lexical.resync()
        lexical = self._lexical.search(query, CANDIDATES, also=[cid for cid, _ in dense])
        return merge(dense, lexical, k=k, query_vector=vector, fetch=self._fetch)

    def _server_changed(self) -> bool:
        """On a Chroma server, processes on other machines write without this one seeing a file change: whether
        the lexical index is behind them (server_sync.ServerSync.behind, at most every SERVER_RECHECK_S)."""
        return self._sync.behind(self._lexical, self.count)

    def question_terms(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the lexical index's terms of `text`, those that occur in no chunk of this collection)."""
        if self._server_changed():
            self._lexical.resync()
        return self._lexical.coverage(text)

    def _fetch(self, ids: list[str]) -> list[tuple[str, str, str, Any]]:
        rows = self._chroma.fetch(ids)
        if len(rows) < len(ids):  # BM25 knows chunks the store has dropped: rebuild it from the store
            self._lexical.resync()
        return rows

    def rows(self) -> Iterator[tuple[str, str, str]]:
        """(chunk id, source, text) of every stored chunk, page by page."""
        return self._chroma.rows()

    def _all_ids(self) -> list[str]:
        return [cid for cid, _ in self._metadatas()]

    def documents(self) -> list[DocumentInfo]:
        return document_infos(meta for _, meta in self._metadatas())

    def generation(self) -> object:
        """Changes whenever any process wrote the index (for caching what was computed from it)."""
        return self._store.generation()

    def integrity(self, *, sample: int = 50, timeout: float = 300.0, wait_s: float = 5.0) -> IndexIntegrity:
        """The index's integrity, checked while no writer runs (index_locks.integrity)."""
        return index_locks.integrity(self._chroma, self._path, sample=sample, timeout=timeout, wait_s=wait_s)

    def held_still(self, what: str, *, on_wait: OnWait | None = None) -> contextlib.AbstractContextManager[None]:
        """No process writes the index while this is held (index_locks.held_still), for at most the lock timeout."""
        return index_locks.held_still(self._store.lock, what, on_wait=on_wait, timeout=self._lock_timeout, where=self._where)

    def rebuilding(self) -> str | None:
        """Who is rebuilding the index right now, or None (index_locks.rebuilding)."""
        return index_locks.rebuilding(self._store.lock)

    def unfinished_rebuild(self) -> str | None:
        """What to say when the last rebuild did not finish and none runs now, else None (index_locks)."""
        return index_locks.unfinished_rebuild(self._store.lock, self._path)

    def source_hashes(self) -> dict[str, str]:
        """source -> sha256 of the file bytes that produced its chunks ("" if the write was incomplete)."""
        return {d.source: d.file_sha for d in self.documents()}

    def stats(self) -> IndexStats:
        docs = self.documents()
        return IndexStats(
            collection=self._name,
            count=self.count(),
            documents=len(docs),
            readers=dict(sorted(Counter(d.reader for d in docs).items())),
            embedder_id=self.index_embedder_id,
            dimension=self.dimension,
            path=str(self._where),
        )

    @property
    def location(self) -> str:
        """Where the index lives: its directory, or the Chroma server's URL."""
        return str(self._where)

    @property
    def on_server(self) -> bool:
        return self._store.server is not None

    # ---- writing (one writer, across processes) -------------------------------------------------
    def upsert_document(
        self,
        source: str,
        file_sha: str,
        chunks: Sequence[ChunkDraft],
        embeddings: Sequence[Sequence[float]],
        flags: Mapping[str, Sequence[str]] | None = None,
        *,
        reader: int = 0,
    ) -> None:
        """Replace everything indexed for `source` with `chunks` (new vectors first, then stale ids go).
        `reader`: the version of the reading and chunking that made them (DocumentInfo.reader). Machines writing
        one source through a Chroma server at once leave the newest write's chunks (server_sync.superseded)."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        flags = flags or {}
        with self.writing("ingest"):
            # Listed first: a read reopens a collection another machine rebuilt, so the check below sees its embedder.
            token = new_token(tokens(meta for _, meta in self._metadatas({"source": source})))
            self.check()
            stamp = now()
            meta = self._chroma.metadata()
            if embeddings and not meta.get("dimension"):  # embedders that learn their width (Ollama)
                self._chroma.record_width(meta, len(embeddings[0]))
            columns: dict[str, Sequence[Any]] = {
                "ids": [d.chunk_id for d in chunks],
                "embeddings": [list(map(float, e)) for e in embeddings],
                "documents": [d.text for d in chunks],
                "metadatas": chunk_metas(source, file_sha, chunks, flags, stamp=stamp, reader=reader, write=token),
            }
            self._chroma.write_batches(f"writing chunks of {source}", upsert, columns)
            stored = list(self._metadatas({"source": source}))
            stale, winner = superseded(stored, token)
            self._chroma.delete(stale)
            if winner == token:
                self._lexical.replace_source(source, [(c.chunk_id, c.text) for c in chunks])  # persisted by flush()
            else:  # another machine's newer write of this source won
                gone = set(stale)
                self._lexical.replace_source(source, self._chroma.texts([cid for cid, _ in stored if cid not in gone]))
            self._sync.bump()

    def restamp_document(
        self, source: str, chunks: Sequence[ChunkDraft], flags: Mapping[str, Sequence[str]] | None = None, *, reader: int
    ) -> bool:
        """Record that a newer reader made exactly the stored chunks of `source` again: their metadata (reader,
        flags, headings, offsets) is rewritten and their vectors kept, so re-reading an unchanged corpus after an
        upgrade embeds nothing. Only when the stored chunk ids are the chunks' ids (ids hash the text); returns
        False, writing nothing, otherwise (the caller then upserts with new vectors)."""
        flags = flags or {}
        with self.writing("ingest"):
            stored = dict(self._metadatas({"source": source}))
            ids = [c.chunk_id for c in chunks]
            file_sha = consistent_sha(list(stored.values()))
            if set(stored) != set(ids) or len(ids) != len(stored) or not file_sha:
                return False
            token = new_token(tokens(stored.values()))
            metas = chunk_metas(source, file_sha, chunks, flags, stamp=now(), reader=reader, write=token)
            self._chroma.write_batches(f"updating chunks of {source}", update, {"ids": ids, "metadatas": metas})
            return True

    def delete_document(self, source: str, *, on_wait: OnWait | None = None) -> int:
        """Remove all chunks of `source`; returns how many were removed."""
        with self.writing("delete", on_wait=on_wait):
            ids = [cid for cid, _ in self._metadatas({"source": source})]
            self._chroma.delete(ids)
            self._lexical.remove_source(source)
            self._lexical.flush()
            self._sync.bump()
            return len(ids)

    def flush(self) -> None:
        """Persist the lexical index after a batch of upserts (ingest calls this once at the end), under the
        write lock like every other write."""
        with self.writing("ingest"):
            self._lexical.flush()

    def reset(self, *, on_wait: OnWait | None = None) -> Path | None:
        """Drop the collection and recreate it empty for the configured embedder (ingest --rebuild). A local index
        Chroma cannot open or drop from (a damaged chroma.sqlite3) is moved into a sibling folder first, which is
        returned (else None): `ingest --rebuild` is what every index error tells the user to run, so it must work
        exactly when the index is broken."""
        aside: list[Path] = []

        def set_aside(exc: IndexUnavailableError) -> None:
            moved = self._store.set_aside()
            if moved is None:  # a Chroma server's files are not ours to move
                raise exc
            aside.append(moved)

        with self._store.writing(
            "rebuild", seconds=self._timeout, lock_timeout=self._lock_timeout, on_wait=on_wait, unreadable=set_aside
        ):
            if not self.on_server:  # removed by `rebuilt()` once the rebuild's ingest completes (rebuild_marker.py)
                mark_rebuild_started(self._path)
            if not aside:
                try:
                    self._chroma.drop()
                except IndexUnavailableError as exc:
                    set_aside(exc)
            self._chroma.recreate()
            self._lexical.clear()
            self._sync.bump()
        return aside[0] if aside else None

    def rebuilt(self) -> None:
        """The rebuild's ingest completed (ingest_paths, inside its write section): the index is whole again."""
        if not self.on_server:
            with self.writing("rebuild"):
                mark_rebuild_finished(self._path)
