"""The lexical half of hybrid retrieval: BM25 (bm25s) over the same chunks as the Chroma collection, so exact
identifiers (OLLAMA_NUM_PARALLEL, 11434, error strings) and Chinese words rank well where embeddings blur them.

App layer, owned by DocumentIndex. Chroma stays the source of truth; this index is derived from it and kept
in step three ways: (1) every write DocumentIndex makes to Chroma (upsert, delete, reset) is applied here too
and persisted (lexical_file.py, through lexical_copy.py) with a fingerprint of the chunk ids it covers; (2) on
first use in a process the persisted file is compared with the ids Chroma holds, and rebuilt from Chroma's stored
documents when it is missing, from another tokenizer version, or stale (a process that died between its Chroma
write and its flush); (3) a search that meets a chunk id this index does not know resyncs from Chroma before
answering. Another process's completed writes are picked up when the file on disk changes. On a Chroma server,
where other machines write without any file here changing, `marker` is the store's write generation read just
before the entries were last read from it; the owner compares it with the server's (app.documents.server_sync).
The scoring itself, over a snapshot of the entries rebuilt after each change, is lexical_scoring.py's.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from app.documents.lexical_copy import LexicalCopy
from app.documents.lexical_file import Entries, fingerprint
from app.documents.lexical_scoring import Bm25Snapshot, LexicalResult
from app.documents.terms import terms


class ChunkRows:
    """What LexicalIndex needs from the vector store to rebuild itself: all ids, and (id, source, text) rows;
    `marker`: what says the store changed (a Chroma server's write generation), read before either."""

    def __init__(
        self,
        ids: Callable[[], list[str]],
        rows: Callable[[], Iterable[tuple[str, str, str]]],
        marker: Callable[[], object] = lambda: None,
    ) -> None:
        self.ids, self.rows, self.marker = ids, rows, marker


UNSYNCED = object()  # LexicalIndex.marker when its entries did not come from the store (yet)


class LexicalIndex:
    """BM25 over chunk terms, persisted as JSON at `path` (one file per collection)."""

    def __init__(
        self, path: Path, store: ChunkRows, *, may_persist: Callable[[], contextlib.AbstractContextManager[bool]] | None = None
    ) -> None:
        """`may_persist`: entered around every file write, yields whether writing is allowed now (the owner's
        index write lock); when not, the change stays in memory and is written by a later flush."""
        self._file = LexicalCopy(path, may_persist)
        self._store = store
        self._lock = threading.RLock()
        self._chunks: Entries = {}  # chunk id -> (source, terms)
        self._sources: dict[str, set[str]] = {}  # source -> its chunk ids (replacing one source is O(its chunks))
        self._loaded = False
        self._dirty = False
        # Changes from this process's own writes (replace, remove, clear) not yet in the file. Dirty without them
        # is only a copy rebuilt from the store that could not be saved (a writer held the lock): a newer file
        # from that writer is read over it, or the reader would miss whatever it wrote after the rebuild.
        self._unsaved = False
        self._bm25: Bm25Snapshot | None = None  # over self._chunks, rebuilt lazily after a change
        self._marker: object = UNSYNCED

    @property
    def marker(self) -> object:
        """The store's marker read just before the entries were last read from the store (UNSYNCED if they were
        not: never loaded, or loaded from another process's file)."""
        return self._marker

    def adopt(self, marker: object) -> bool:
        """Take `marker` (read from the store just before this call) as the one the entries were read at, when
        they are exactly the store's chunks: ids hash source and text, so equal ids mean equal entries. One
        listing of the ids, instead of reading and tokenizing every chunk again; False (nothing changed) when
        they differ."""
        with self._lock:
            if fingerprint(self._store.ids()) != fingerprint(self._chunks):
                return False
            self._marker = marker
            return True

    # ---- keeping in step with the vector store -----------------------------------------------------
    def ensure(self) -> None:
        """Load the persisted index, or rebuild it from the store when it is missing or stale."""
        with self._lock:
            if self._loaded:
                self._reload_if_changed()
                return
            marker = self._store.marker()  # before the ids: a write after it changes the marker again
            data = self._file.read()
            if data is not None and data[0] == fingerprint(self._store.ids()):
                self._set(data[1])
                self._loaded, self._bm25, self._dirty, self._marker = True, None, False, marker
            else:
                self.resync()

    def resync(self, *, persist: bool = True) -> None:
        """Rebuild every entry from the store's documents (the store is the truth)."""
        with self._lock:
            before = self._file.current()  # a file saved before the store is read says nothing newer
            marker = self._store.marker()
            self._set({cid: (source, tuple(terms(text))) for cid, source, text in self._store.rows()})
            self._file.seen(before)
            self._loaded, self._marker = True, marker
            self._changed()
            if persist:
                self.flush()

    def replace_source(self, source: str, chunks: Sequence[tuple[str, str]]) -> None:
        """(chunk id, text) pairs now indexed for `source`, replacing what it had."""
        with self._lock:
            self.ensure()
            self._drop(source)
            for cid, text in chunks:
                self._chunks[cid] = (source, tuple(terms(text)))
                self._sources.setdefault(source, set()).add(cid)
            self._changed(own=True)

    def remove_source(self, source: str) -> None:
        with self._lock:
            self.ensure()
            self._drop(source)
            self._changed(own=True)

    def clear(self) -> None:
        with self._lock:
            self._set({})
            self._loaded = True
            self._changed(own=True)
            self.flush()

    def flush(self) -> None:
        """Persist if changed: written to a temporary file and renamed, so a reader never sees half a file."""
        with self._lock:
            if not self._dirty:
                return
            if self._file.save(self._chunks, over_newer=self._unsaved):  # not over a newer file for a rebuilt copy
                self._dirty = self._unsaved = False

    def knows(self, ids: Iterable[str]) -> bool:
        with self._lock:
            self.ensure()
            return all(cid in self._chunks for cid in ids)

    def __len__(self) -> int:
        with self._lock:
            return len(self._chunks)

    # ---- reading ---------------------------------------------------------------------------------
    def search(self, query: str, n: int, *, also: Iterable[str] = ()) -> LexicalResult:
        """The n best chunks by BM25, with their scores (and those of the chunk ids in `also`, e.g. the vector
        candidates) normalised to 0..1: BM25 divided by the sum of
        the query terms' IDF (what a passage of average length holding each term once would score), capped
        at 1. Terms no chunk contains count with the IDF of an unseen term, so a question about things the
        corpus never mentions scores low however well its other words match. `blind`: for the chunks of `also`
        in the other language, how much of the query's weight BM25 could never match in them."""
        wanted = tuple(dict.fromkeys(terms(query)))
        with self._lock:
            self.ensure()
            snapshot = self._index()
            if snapshot is None:
                return LexicalResult(ranked=(), normalized={}, terms=wanted, unknown=wanted)
            return snapshot.search(query, wanted, n, also=also)

    def coverage(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(terms of `text`, those no chunk of the corpus contains)."""
        wanted = tuple(dict.fromkeys(terms(text)))
        with self._lock:
            self.ensure()
            snapshot = self._index()  # document frequencies are (re)counted with the BM25 matrix
            return wanted, snapshot.unknown(wanted) if snapshot is not None else wanted

    # ---- internals ---------------------------------------------------------------------------------
    def _set(self, chunks: Entries) -> None:
        self._chunks = chunks
        self._sources = {}
        for cid, (source, _) in chunks.items():
            self._sources.setdefault(source, set()).add(cid)

    def _drop(self, source: str) -> None:
        for cid in self._sources.pop(source, set()):
            self._chunks.pop(cid, None)

    def _changed(self, *, own: bool = False) -> None:
        self._bm25 = None
        self._dirty = True
        self._unsaved = self._unsaved or own

    def _index(self) -> Bm25Snapshot | None:
        if self._bm25 is None and self._chunks:
            self._bm25 = Bm25Snapshot(self._chunks)
            self.flush()
        elif not self._chunks:
            self._bm25 = None
        return self._bm25

    def _reload_if_changed(self) -> None:
        # Another process (an `ingest` next to a running app) flushed a newer file: read it, unless this
        # process has unflushed changes of its own (then ours are newer for this process's writes).
        if self._unsaved or not self._file.changed():
            return
        data = self._file.read()
        if data is not None:
            self._set(data[1])
            self._bm25, self._dirty, self._marker = None, False, UNSYNCED
