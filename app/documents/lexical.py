"""The lexical half of hybrid retrieval: BM25 (bm25s) over the same chunks as the Chroma collection, so exact
identifiers (OLLAMA_NUM_PARALLEL, 11434, error strings) and Chinese words rank well where embeddings blur them.

App layer, owned by DocumentIndex. Chroma stays the source of truth; this index is derived from it and kept
in step three ways: (1) every write DocumentIndex makes to Chroma (upsert, delete, reset) is applied here too
and persisted with a fingerprint of the chunk ids it covers; (2) on first use in a process the persisted file
is compared with the ids Chroma holds, and rebuilt from Chroma's stored documents when it is missing, from
another tokenizer version, or stale (a process that died between its Chroma write and its flush); (3) a
search that meets a chunk id this index does not know resyncs from Chroma before answering. Another process's
completed writes are picked up when the file on disk changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.documents.terms import TERMS_VERSION, terms

FORMAT = 1
K1, B = 1.5, 0.75  # bm25s (Lucene) defaults: the measured hybrid numbers in DESIGN.md used them


@dataclass(frozen=True)
class LexicalResult:
    """BM25 for one query: the best chunk ids (best first) and every chunk's normalised score (0..1)."""

    ranked: tuple[str, ...]
    normalized: dict[str, float]
    terms: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # query terms no chunk of the corpus contains


def fingerprint(ids: Iterable[str]) -> str:
    """Chunk ids are content hashes (source + text), so the sorted ids identify exactly what is indexed."""
    digest = hashlib.sha256()
    for cid in sorted(ids):
        digest.update(cid.encode("utf-8") + b"\n")
    return digest.hexdigest()


class ChunkRows:
    """What LexicalIndex needs from the vector store to rebuild itself: all ids, and (id, source, text) rows."""

    def __init__(self, ids: Callable[[], list[str]], rows: Callable[[], Iterable[tuple[str, str, str]]]) -> None:
        self.ids, self.rows = ids, rows


class LexicalIndex:
    """BM25 over chunk terms, persisted as JSON at `path` (one file per collection)."""

    def __init__(self, path: Path, store: ChunkRows) -> None:
        self._path = path
        self._store = store
        self._lock = threading.RLock()
        self._chunks: dict[str, tuple[str, tuple[str, ...]]] = {}  # chunk id -> (source, terms)
        self._loaded = False
        self._dirty = False
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file we last read or wrote
        self._bm25: Any = None  # bm25s.BM25 over self._order, rebuilt lazily after a change
        self._order: list[str] = []
        self._position: dict[str, int] = {}
        self._df: Counter[str] = Counter()

    # ---- keeping in step with the vector store -----------------------------------------------------
    def ensure(self) -> None:
        """Load the persisted index, or rebuild it from the store when it is missing or stale."""
        with self._lock:
            if self._loaded:
                self._reload_if_changed()
                return
            data = self._read()
            if data is not None and data.get("fingerprint") == fingerprint(self._store.ids()):
                self._chunks = {cid: (src, tuple(ts)) for cid, src, ts in data["chunks"]}
                self._loaded, self._bm25, self._dirty = True, None, False
            else:
                self.resync()

    def resync(self, *, persist: bool = True) -> None:
        """Rebuild every entry from the store's documents (the store is the truth)."""
        with self._lock:
            self._chunks = {cid: (source, tuple(terms(text))) for cid, source, text in self._store.rows()}
            self._loaded = True
            self._changed()
            if persist:
                self.flush()

    def replace_source(self, source: str, chunks: Sequence[tuple[str, str]]) -> None:
        """(chunk id, text) pairs now indexed for `source`, replacing what it had."""
        with self._lock:
            self.ensure()
            self._chunks = {cid: v for cid, v in self._chunks.items() if v[0] != source}
            self._chunks.update({cid: (source, tuple(terms(text))) for cid, text in chunks})
            self._changed()

    def remove_source(self, source: str) -> None:
        with self._lock:
            self.ensure()
            self._chunks = {cid: v for cid, v in self._chunks.items() if v[0] != source}
            self._changed()

    def clear(self) -> None:
        with self._lock:
            self._chunks = {}
            self._loaded = True
            self._changed()
            self.flush()

    def flush(self) -> None:
        """Persist if changed: written to a temporary file and renamed, so a reader never sees half a file."""
        with self._lock:
            if not self._dirty:
                return
            payload = {
                "format": FORMAT,
                "terms_version": TERMS_VERSION,
                "fingerprint": fingerprint(self._chunks),
                "chunks": [[cid, src, list(ts)] for cid, (src, ts) in self._chunks.items()],
            }
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self._path)
            self._stamp = self._stat()
            self._dirty = False

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
        corpus never mentions scores low however well its other words match."""
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
            norm = sum(_idf(total, self._df.get(t, 0)) for t in wanted)
            order = self._order
            hit = np.flatnonzero(scores > 0)
            best = hit[np.argsort(-scores[hit], kind="stable")[:n]]
            ranked = tuple(order[i] for i in best.tolist())
            # Normalised scores only where asked: a common term hits most of a large corpus, and a dict of
            # every hit would cost more than the search.
            position = self._position
            wanted_ids = {*ranked, *(cid for cid in also if cid in position)}
            normalized = {cid: min(1.0, float(scores[position[cid]]) / norm) for cid in wanted_ids if scores[position[cid]] > 0}
        return LexicalResult(ranked=ranked, normalized=normalized, terms=wanted, unknown=unknown)

    def coverage(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(terms of `text`, those no chunk of the corpus contains)."""
        wanted = tuple(dict.fromkeys(terms(text)))
        with self._lock:
            self.ensure()
            self._index()  # document frequencies are (re)counted with the BM25 matrix
            return wanted, tuple(t for t in wanted if self._df.get(t, 0) == 0)

    # ---- internals ---------------------------------------------------------------------------------
    def _changed(self) -> None:
        self._bm25 = None
        self._dirty = True

    def _index(self) -> Any:
        if self._bm25 is None and self._chunks:
            import bm25s  # deferred: numpy machinery, only needed once something is searched

            self._order = list(self._chunks)
            self._position = {cid: i for i, cid in enumerate(self._order)}
            self._df = Counter(t for cid in self._order for t in set(self._chunks[cid][1]))
            bm25 = bm25s.BM25(k1=K1, b=B)
            bm25.index([list(self._chunks[cid][1]) or [""] for cid in self._order], show_progress=False)
            self._bm25 = bm25
            self.flush()
        elif not self._chunks:
            self._order, self._position, self._df, self._bm25 = [], {}, Counter(), None
        return self._bm25

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self._path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _reload_if_changed(self) -> None:
        # Another process (an `ingest` next to a running app) flushed a newer file: read it, unless this
        # process has unflushed changes of its own (then ours are newer for this process's writes).
        if self._dirty or self._stat() == self._stamp:
            return
        data = self._read()
        if data is not None:
            self._chunks = {cid: (src, tuple(ts)) for cid, src, ts in data["chunks"]}
            self._bm25 = None

    def _read(self) -> dict[str, Any] | None:
        stamp = self._stat()
        if stamp is None:
            return None
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # unreadable or half-written by a crashed writer: rebuilt from the store
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("terms_version") != TERMS_VERSION:
            return None
        self._stamp = stamp
        return data


def _idf(total: int, df: int) -> float:
    """Lucene's BM25 IDF (what bm25s uses), also for unseen terms (df = 0)."""
    return math.log(1 + (total - df + 0.5) / (df + 0.5))
