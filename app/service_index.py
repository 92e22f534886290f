"""The document index as the service shows it: retrieval alone, the documents and chunks it holds, its size and
integrity (a cached verdict until some process writes it), who is rebuilding it, deleting a document and holding
it still."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from app.documents.index_types import DocumentInfo, IndexStats
from app.documents.integrity import IndexIntegrity
from app.service_state import ServiceState
from guardrails import Chunk


class IndexAccess(ServiceState):
    """Reads of the index (search, documents, stats, integrity) and the writes that are not an ingest."""

    def indexed_chunks(self) -> list[tuple[str, str, str]]:
        """(chunk id, source, text) of every chunk in the index (calibration builds its probes from them). Raises
        EmbedderMismatchError first when the index was built by another embedder: its probes would then be
        searched with the wrong vectors (or, for Ollama's embedder, fail with a connection error that hides it)."""
        docs = self._parts.docs()
        docs.check()
        return list(docs.rows())

    def search(self, question: str, k: int | None = None) -> list[Chunk]:
        """Retrieval only: the k passages nearest to the question, best first (no guardrails)."""
        return self._parts.docs().search(question, k or self.settings.top_k)

    def documents(self) -> list[DocumentInfo]:
        return self._parts.docs().documents()

    def index_rebuilding(self) -> str | None:
        """Who is rebuilding the index right now (an `ingest --rebuild`, a session's Re-index all with Rebuild), or
        None: while one is, the documents listed are only those put back so far."""
        return self._parts.docs().rebuilding()

    def delete_document(self, source: str, *, on_wait: Callable[[str], None] | None = None) -> int:
        return self._parts.docs().delete_document(source, on_wait=on_wait)

    def index_stats(self) -> IndexStats:
        return self._parts.docs().stats()

    def index_integrity(self, *, sample: int = 50, cached: bool = False) -> IndexIntegrity:
        """Whether the index is intact (counts, readable vectors, sampled lookups); `cached` reuses the last
        verdict until some process writes the index again (the Documents page asks on every render)."""
        index = self._parts.docs()
        # A local index says when any process wrote it; a Chroma server does not: its verdict is kept a minute.
        generation = index.generation() if not index.on_server else int(time.monotonic() // 60)
        with self._lock:
            if cached and self._integrity is not None and self._integrity[0] == generation:
                return self._integrity[1]
        found = index.integrity(sample=sample)
        if found.checked:
            with self._lock:
                self._integrity = (generation, found)
        return found

    def index_held_still(self, what: str, *, on_wait: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        """Keep every process from writing the index while held, a running ingest waited for (calibrate's corpus)."""
        return self._parts.docs().held_still(what, on_wait=on_wait)

    def is_index_empty(self) -> bool:
        return self._parts.docs().is_empty()
