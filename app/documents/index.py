"""The document index: one Chroma collection of chunk vectors, tagged with the embedder that made them.

App layer (composition root): reaches Chroma through app.documents.store (one client per process, deadlines,
one writer) and keeps the BM25 half of hybrid search (app.documents.lexical) in step; chains/ receive `DocumentIndex.search` results as `guardrails.base.Chunk`s and never import Chroma.
What is stored with each chunk: index_rows.py. Machines writing through one Chroma server: server_sync.py.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import chromadb.errors

from app.documents.chunking import ChunkDraft
from app.documents.embeddings import IdentifiedEmbeddings, embedder_id_of
from app.documents.hybrid import CANDIDATES, distinct_passages, merge
from app.documents.index_rows import (
    PAGE,
    chunk_metas,
    consistent_sha,
    delete_ids,
    document_infos,
    list_page,
    now,
    rows_page,
    update,
    upsert,
)
from app.documents.index_types import DocumentInfo, EmbedderMismatchError, IndexStats
from app.documents.integrity import IndexIntegrity, check_integrity, scan_client
from app.documents.lexical import ChunkRows, LexicalIndex
from app.documents.server import server_store
from app.documents.server_sync import ServerSync, new_token, superseded, tokens
from app.documents.store import ChromaStore, IndexUnavailableError, store_for
from app.documents.writelock import IndexBusyError, OnWait, describe_holder
from guardrails.base import Chunk

if TYPE_CHECKING:
    from app.settings import Settings

T = TypeVar("T")


class DocumentIndex:
    """Chunks in a persistent Chroma collection (cosine space), searched with the given embeddings.

    Chroma never embeds anything here: the collection is opened with `embedding_function=None` and
    vectors are always passed explicitly, so its default model (a run-time download) is never used.

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
        self._embedder_id = embedder_id_of(embeddings)
        self._timeout = timeout
        self._lock_timeout = lock_timeout
        self._store: ChromaStore = store or store_for(self._path)
        self._where: Path | str = self._store.server or self._path  # what messages and stats name
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
            ChunkRows(self._all_ids, self._all_rows, self._sync.generation),
            may_persist=self._may_persist_lexical,
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

    def _open(self, client: Any) -> Any:
        metadata: dict[str, str | int] = {"embedder_id": self._embedder_id, "created_at": now()}
        dimension = getattr(self._embeddings, "dimension", None)
        if dimension:
            metadata["dimension"] = dimension
        return client.get_or_create_collection(
            self._name, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata, embedding_function=None
        )

    def _col(self, what: str, fn: Callable[[Any], T], *, write: bool = False) -> T:
        """fn(collection) through the store: fresh, bounded by the index deadline."""
        return self._store.collection(self._name, self._open, what, fn, seconds=self._timeout, write=write)

    def _metadata(self) -> dict[str, Any]:
        return dict(self._col("reading the index metadata", lambda c: c.metadata or {}))

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
            unreadable=_left_to_reset if rebuilding else None,
        )

    @contextlib.contextmanager
    def _may_persist_lexical(self) -> Iterator[bool]:
        """Yields whether the lexical file may be written now: always inside a write section of this thread
        (reentrant), else only if no writer holds the index (a reader never waits; it keeps its copy in memory).
        On a Chroma server there is no lock: the file is this machine's cache of the server's chunks, written
        whole and renamed (lexical_file.write), so processes sharing a home never read half of one."""
        lock = self._store.lock
        if lock is None:
            yield True
            return
        try:
            outer = lock.acquire("lexical index", timeout=0)
        except IndexBusyError:
            yield False
            return
        try:
            yield True
        finally:
            lock.release(outer)

    # ---- identity -------------------------------------------------------------------------------
    @property
    def embedder_id(self) -> str:
        """The embedder this instance is configured with (what new vectors must come from)."""
        return self._embedder_id

    @property
    def index_embedder_id(self) -> str:
        return str(self._metadata().get("embedder_id", ""))

    @property
    def dimension(self) -> int | None:
        found = self._metadata().get("dimension")
        return int(found) if found else None

    def check(self) -> None:
        """Raise EmbedderMismatchError if the stored vectors came from another embedder or width."""
        self._check(self._metadata())

    def _verified(self, collection: Any) -> Any:
        """The collection, after the embedder check on the metadata it was opened with (no call to Chroma: a
        search checks inside its own query call instead of paying a call, and a thread, of its own)."""
        self._check(collection.metadata or {})
        return collection

    def _check(self, meta: Mapping[str, Any]) -> None:
        stored = str(meta.get("embedder_id", ""))
        width = int(meta["dimension"]) if meta.get("dimension") else None
        mine = getattr(self._embeddings, "dimension", None)
        if stored != self._embedder_id or (mine and width and mine != width):
            raise EmbedderMismatchError(
                index_embedder=stored or "an unknown embedder",
                index_dimension=width,
                configured=self._embedder_id,
                dimension=mine,
                path=self._where,
            )

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
            return self._nearest(vector, k)
        # Ids and distances only for the candidates (reading 20 documents costs more than the query itself);
        # the text of the k fused winners is read afterwards, in one call.
        n = max(k, CANDIDATES)
        found = self._col(
            "searching", lambda c: self._verified(c).query(query_embeddings=[vector], n_results=n, include=["distances"])
        )
        dense = [(cid, min(1.0, max(0.0, 1.0 - float(d)))) for cid, d in zip(found["ids"][0], found["distances"][0], strict=True)]
        if not self._lexical.knows(cid for cid, _ in dense) or self._server_changed():  # another process wrote
            self._lexical.resync()
        lexical = self._lexical.search(query, CANDIDATES, also=[cid for cid, _ in dense])
        return merge(dense, lexical, k=k, query_vector=vector, fetch=self._fetch)

    def _server_changed(self) -> bool:
        """On a Chroma server, processes on other machines write without this one seeing a file change: whether
        the lexical index is behind them (server_sync.ServerSync.behind, at most every SERVER_RECHECK_S)."""
        return self._sync.behind(self._lexical, self.count)

    def _nearest(self, vector: list[float], k: int) -> list[Chunk]:
        for _ in range(2):
            found = self._col(
                "searching",
                lambda c: self._verified(c).query(  # 2k: room for the repeats of a passage that are skipped
                    query_embeddings=[vector], n_results=2 * k, include=["documents", "metadatas", "distances"]
                ),
            )
            # A hit without metadata is a chunk another process deleted after this view was loaded (measured while
            # three processes ingested): drop it, reload the view, search once more.
            if all(meta is not None for meta in found["metadatas"][0]):
                break
            self._store.mark_stale()
        hits = zip(found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True)
        chunks = (
            Chunk(chunk_id=cid, source=str(meta["source"]), text=text or "", score=min(1.0, max(0.0, 1.0 - float(dist))))
            for cid, text, meta, dist in hits
            if meta is not None
        )
        return distinct_passages(chunks, k)

    def question_terms(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the lexical index's terms of `text`, those that occur in no chunk of this collection)."""
        if self._server_changed():
            self._lexical.resync()
        return self._lexical.coverage(text)

    def _fetch(self, ids: list[str]) -> list[tuple[str, str, str, Any]]:
        if not ids:
            return []
        got = self._col("reading chunks", lambda c: c.get(ids=ids, include=["documents", "metadatas", "embeddings"]))
        embeddings = got["embeddings"] if got["embeddings"] is not None else [[] for _ in got["ids"]]
        rows = [
            (cid, str(meta["source"]), text or "", vec)
            for cid, text, meta, vec in zip(got["ids"], got["documents"], got["metadatas"], embeddings, strict=True)
            if meta is not None  # deleted by another process after this view was loaded (see _nearest)
        ]
        if len(rows) < len(ids):  # BM25 knows chunks the store has dropped: rebuild it from the store
            self._lexical.resync()
        return rows

    def rows(self) -> Iterator[tuple[str, str, str]]:
        """(chunk id, source, text) of every stored chunk, page by page."""
        return self._all_rows()

    def _all_ids(self) -> list[str]:
        return [cid for cid, _ in self._metadatas()]

    def _all_rows(self) -> Iterator[tuple[str, str, str]]:
        offset = 0
        while True:
            page = self._col("reading chunks", partial(rows_page, offset=offset))
            for cid, text, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True):
                if meta is not None:
                    yield cid, str(meta["source"]), text or ""
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def _metadatas(self, where: dict[str, Any] | None = None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        offset = 0
        while True:
            page = self._col("listing chunks", partial(list_page, where=where, offset=offset))
            yield from zip(page["ids"], page["metadatas"] or [], strict=True)
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def documents(self) -> list[DocumentInfo]:
        return document_infos(meta for _, meta in self._metadatas())

    def generation(self) -> object:
        """Changes whenever any process wrote the index (for caching what was computed from it)."""
        return self._store.generation()

    def integrity(self, *, sample: int = 50, timeout: float = 300.0, wait_s: float = 5.0) -> IndexIntegrity:
        """The index's integrity (app.documents.integrity), checked in a child process while no writer runs;
        when a writer holds the index for more than `wait_s`, says so instead of judging a half-written index.
        On a Chroma server: the same check through its client, within `timeout`."""
        lock = self._store.lock
        if lock is None:
            return self._store.run(
                "checking the index integrity", lambda c: scan_client(c, self._name, sample=sample), seconds=timeout
            )
        try:
            outer = lock.acquire("integrity check", timeout=wait_s)
        except IndexBusyError:
            holder = describe_holder(lock.holder())
            return IndexIntegrity(ok=True, checked=False, problems=(f"not checked now: {holder} is writing the index",))
        try:
            return check_integrity(self._path, self._name, sample=sample, timeout=timeout)
        finally:
            lock.release(outer)

    @contextlib.contextmanager
    def held_still(self, what: str, *, on_wait: OnWait | None = None) -> Iterator[None]:
        """No process writes the index while this is held: for a reader that needs one corpus from start to end
        (calibrate lists every chunk, then searches for each probe). Takes the write lock, so a running ingest or
        rebuild is waited for as a second writer waits for it (said through `on_wait`; IndexBusyError after the
        lock timeout), but writes nothing and bumps no generation: other readers keep their caches. On a Chroma
        server (no lock): nothing to hold."""
        lock = self._store.lock
        if lock is None:
            yield
            return
        try:
            outer = lock.acquire(what, on_wait=on_wait, timeout=self._lock_timeout)
        except IndexBusyError:  # the writer's wording ("this write was not done") would not fit a reader
            raise IndexBusyError(
                f"{describe_holder(lock.holder())} kept the index at {self._where} busy for {self._lock_timeout:g} s "
                f"(GUARDED_RAG_WRITE_LOCK_TIMEOUT); {what} needs the finished corpus: run it again when that is done"
            ) from None
        try:
            yield
        finally:
            lock.release(outer)

    def rebuilding(self) -> str | None:
        """Who is rebuilding the index right now (an empty index then means "not yet", not "never ingested"), or
        None. Always None on a Chroma server, which has no write lock."""
        lock = self._store.lock
        owner = lock.writer() if lock is not None else None
        return describe_holder(owner) if owner is not None and owner.get("what") == "rebuild" else None

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
            meta = self._metadata()
            if embeddings and not meta.get("dimension"):  # embedders that learn their width (Ollama)
                self._col(
                    "recording the vector width",
                    lambda c: c.modify(metadata={**meta, "dimension": len(embeddings[0])}),
                    write=True,
                )
            metas = chunk_metas(source, file_sha, chunks, flags, stamp=stamp, reader=reader, write=token)
            step = self._batch_size()
            for i in range(0, len(chunks), step):
                batch: dict[str, Any] = {
                    "ids": [d.chunk_id for d in chunks[i : i + step]],
                    "embeddings": [list(map(float, e)) for e in embeddings[i : i + step]],
                    "documents": [d.text for d in chunks[i : i + step]],
                    "metadatas": metas[i : i + step],
                }
                self._col(f"writing chunks of {source}", partial(upsert, batch=batch), write=True)
            stored = list(self._metadatas({"source": source}))
            stale, winner = superseded(stored, token)
            self._delete(stale)
            if winner == token:
                self._lexical.replace_source(source, [(c.chunk_id, c.text) for c in chunks])  # persisted by flush()
            else:  # another machine's newer write of this source won
                gone = set(stale)
                self._lexical.replace_source(source, self._texts([cid for cid, _ in stored if cid not in gone]))
            self._sync.bump()

    def _texts(self, ids: list[str]) -> list[tuple[str, str]]:
        """(id, text) of stored chunks."""
        if not ids:
            return []
        got = self._col("reading chunks", lambda c: c.get(ids=ids, include=["documents"]))
        return [(cid, text or "") for cid, text in zip(got["ids"], got["documents"] or [], strict=True)]

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
            step = self._batch_size()
            for i in range(0, len(ids), step):
                batch = {"ids": ids[i : i + step], "metadatas": metas[i : i + step]}
                self._col(f"updating chunks of {source}", partial(update, batch=batch), write=True)
            return True

    def delete_document(self, source: str, *, on_wait: OnWait | None = None) -> int:
        """Remove all chunks of `source`; returns how many were removed."""
        with self.writing("delete", on_wait=on_wait):
            ids = [cid for cid, _ in self._metadatas({"source": source})]
            self._delete(ids)
            self._lexical.remove_source(source)
            self._lexical.flush()
            self._sync.bump()
            return len(ids)

    def flush(self) -> None:
        """Persist the lexical index after a batch of upserts (ingest calls this once at the end), under the
        write lock like every other write."""
        with self.writing("ingest"):
            self._lexical.flush()

    def _batch_size(self) -> int:
        return int(self._store.run("reading the batch size", lambda client: client.get_max_batch_size(), seconds=self._timeout))

    def _delete(self, ids: list[str]) -> None:
        step = self._batch_size()  # large id lists would exceed SQLite's variable limit
        for i in range(0, len(ids), step):
            batch: list[str] = ids[i : i + step]
            self._col("deleting chunks", partial(delete_ids, ids=batch), write=True)

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

        def drop(client: Any) -> None:
            with contextlib.suppress(chromadb.errors.NotFoundError):
                client.delete_collection(self._name)

        with self._store.writing(
            "rebuild", seconds=self._timeout, lock_timeout=self._lock_timeout, on_wait=on_wait, unreadable=set_aside
        ):
            if not aside:
                try:
                    self._store.run("dropping the collection", drop, seconds=self._timeout, write=True)
                except IndexUnavailableError as exc:
                    set_aside(exc)
            self._store.forget(self._name)
            self._col("recreating the collection", lambda _c: None, write=True)
            self._lexical.clear()
            self._sync.bump()
        return aside[0] if aside else None


def _left_to_reset(_exc: IndexUnavailableError) -> None:
    """A rebuild's write section opens on an index Chroma cannot read: its reset() moves the files aside."""
