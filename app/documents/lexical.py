"""The lexical half of hybrid retrieval: BM25 (bm25s) over the same chunks as the Chroma collection, so exact
identifiers (OLLAMA_NUM_PARALLEL, 11434, error strings) and Chinese words rank well where embeddings blur them.

App layer, owned by DocumentIndex. Chroma stays the source of truth; this index is derived from it and kept
in step three ways: (1) every write DocumentIndex makes to Chroma (upsert, delete, reset) is applied here too
and persisted (lexical_file.py) with a fingerprint of the chunk ids it covers; (2) on first use in a process the persisted file
is compared with the ids Chroma holds, and rebuilt from Chroma's stored documents when it is missing, from
another tokenizer version, or stale (a process that died between its Chroma write and its flush); (3) a
search that meets a chunk id this index does not know resyncs from Chroma before answering. Another process's
completed writes are picked up when the file on disk changes. On a Chroma server, where other machines write
without any file here changing, `marker` is the store's write generation read just before the entries were last
read from it; the owner compares it with the server's (app.documents.server_sync).
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.documents import lexical_file
from app.documents.lexical_file import Entries, fingerprint
from app.documents.scripts import Scripts
from app.documents.terms import terms

K1, B = 1.5, 0.75  # bm25s (Lucene) defaults: the measured hybrid numbers in DESIGN.md used them


@dataclass(frozen=True)
class LexicalResult:
    """BM25 for one query: the best chunk ids (best first) and every chunk's normalised score (0..1)."""

    ranked: tuple[str, ...]
    normalized: dict[str, float]
    terms: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # query terms no chunk of the corpus contains
    # chunk id (of those asked about in `also`) in the other language than the query -> the share of the query's
    # BM25 weight it cannot match (app.documents.scripts); fusion casts that share of the vote at its vector rank
    blind: Mapping[str, float] = field(default_factory=dict)


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
        self._path = path
        self._store = store
        self._may_persist = may_persist or _always
        self._lock = threading.RLock()
        self._chunks: Entries = {}  # chunk id -> (source, terms)
        self._sources: dict[str, set[str]] = {}  # source -> its chunk ids (replacing one source is O(its chunks))
        self._loaded = False
        self._dirty = False
        # Changes from this process's own writes (replace, remove, clear) not yet in the file. Dirty without them
        # is only a copy rebuilt from the store that could not be saved (a writer held the lock): a newer file
        # from that writer is read over it, or the reader would miss whatever it wrote after the rebuild.
        self._unsaved = False
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file we last read or wrote
        self._bm25: Any = None  # bm25s.BM25 over self._order, rebuilt lazily after a change
        self._order: list[str] = []
        self._position: dict[str, int] = {}
        self._df: Counter[str] = Counter()
        self._scripts = Scripts.of({})
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
            data = self._read()
            if data is not None and data[0] == fingerprint(self._store.ids()):
                self._set(data[1])
                self._loaded, self._bm25, self._dirty, self._marker = True, None, False, marker
            else:
                self.resync()

    def resync(self, *, persist: bool = True) -> None:
        """Rebuild every entry from the store's documents (the store is the truth)."""
        with self._lock:
            before = lexical_file.stamp(self._path)  # a file saved before the store is read says nothing newer
            marker = self._store.marker()
            self._set({cid: (source, tuple(terms(text))) for cid, source, text in self._store.rows()})
            self._loaded, self._stamp, self._marker = True, before, marker
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
            with self._may_persist() as allowed:
                if not allowed:
                    return
                if not self._unsaved and lexical_file.stamp(self._path) != self._stamp:
                    # a copy rebuilt from the store while another process saved a newer file (reading the store
                    # takes minutes on a large corpus): that file is read instead (ensure), not overwritten
                    return
                lexical_file.write(self._path, self._chunks)
                self._stamp = lexical_file.stamp(self._path)
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
            bm25 = self._index()
            total = len(self._order)
            unknown = tuple(t for t in wanted if self._df.get(t, 0) == 0)
            known = [t for t in wanted if t not in unknown]
            if bm25 is None or not known:
                return LexicalResult(ranked=(), normalized={}, terms=wanted, unknown=unknown)
            scores = np.asarray(bm25.get_scores(known), dtype=np.float64)
            weights = {t: _idf(total, self._df.get(t, 0)) for t in wanted}
            norm = sum(weights.values())
            order = self._order
            hit = np.flatnonzero(scores > 0)
            best = hit[np.argsort(-scores[hit], kind="stable")[:n]]
            ranked = tuple(order[i] for i in best.tolist())
            # Normalised scores only where asked: a common term hits most of a large corpus, and a dict of
            # every hit would cost more than the search.
            position = self._position
            wanted_ids = {*ranked, *(cid for cid in also if cid in position)}
            normalized = {cid: min(1.0, float(scores[position[cid]]) / norm) for cid in wanted_ids if scores[position[cid]] > 0}
            blind = self._scripts.blind(query, weights, (cid for cid in also if cid in position))
        return LexicalResult(ranked=ranked, normalized=normalized, terms=wanted, unknown=unknown, blind=blind)

    def coverage(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(terms of `text`, those no chunk of the corpus contains)."""
        wanted = tuple(dict.fromkeys(terms(text)))
        with self._lock:
            self.ensure()
            self._index()  # document frequencies are (re)counted with the BM25 matrix
            return wanted, tuple(t for t in wanted if self._df.get(t, 0) == 0)

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

    def _index(self) -> Any:
        if self._bm25 is None and self._chunks:
            import bm25s  # deferred: numpy machinery, only needed once something is searched

            self._order = list(self._chunks)
            self._position = {cid: i for i, cid in enumerate(self._order)}
            self._df = Counter(t for cid in self._order for t in set(self._chunks[cid][1]))
            self._scripts = Scripts.of({cid: self._chunks[cid][1] for cid in self._order})
            bm25 = bm25s.BM25(k1=K1, b=B)
            bm25.index([list(self._chunks[cid][1]) or [""] for cid in self._order], show_progress=False)
            self._bm25 = bm25
            self.flush()
        elif not self._chunks:
            self._order, self._position, self._df, self._bm25 = [], {}, Counter(), None
            self._scripts = Scripts.of({})
        return self._bm25

    def _reload_if_changed(self) -> None:
        # Another process (an `ingest` next to a running app) flushed a newer file: read it, unless this
        # process has unflushed changes of its own (then ours are newer for this process's writes).
        if self._unsaved or lexical_file.stamp(self._path) == self._stamp:
            return
        data = self._read()
        if data is not None:
            self._set(data[1])
            self._bm25, self._dirty, self._marker = None, False, UNSYNCED

    def _read(self) -> tuple[str, Entries] | None:
        current = lexical_file.stamp(self._path)
        data = lexical_file.read(self._path) if current is not None else None
        if data is not None:
            self._stamp = current
        return data


@contextlib.contextmanager
def _always() -> Iterator[bool]:
    yield True


def _idf(total: int, df: int) -> float:
    """Lucene's BM25 IDF (what bm25s uses), also for unseen terms (df = 0)."""
    return math.log(1 + (total - df + 0.5) / (df + 0.5))
