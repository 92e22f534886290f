"""How a failed call on the document index reads: IndexUnavailableError and its message (a local index, a Chroma
server that did not answer, one that refused), which exceptions mean Chroma failed rather than the caller's code,
and the carrier that lets a read Chroma failed internally be retried once (app/documents/store.py)."""

from __future__ import annotations

import re

import chromadb.errors
import httpx
from filelock import Timeout

from app.deadline import DeadlineExceeded

# InternalError: the local store failed on its own files. httpx errors and ConnectionError: a Chroma server is
# down or dropped the connection (measured: a killed server raises httpx.ConnectError on existing clients).
CHROMA_DOWN: tuple[type[BaseException], ...] = (chromadb.errors.InternalError, httpx.HTTPError, ConnectionError)
# ValueError: no server; Timeout: another process kept the open lock past the deadline
OPEN_FAILED: tuple[type[BaseException], ...] = (DeadlineExceeded, ValueError, Timeout, *CHROMA_DOWN)

# A server that answered but refused: 401/403 from Chroma's auth or a proxy in front of it, chromadb's auth errors.
_REFUSED = re.compile(r"\b40[13]\b|Unauthorized|Forbidden|AuthError|AuthorizationError", re.IGNORECASE)


class IndexUnavailableError(RuntimeError):
    """The index did not answer in time or could not be opened; the message says what to do."""


class ChromaFailed(Exception):
    """Carries the IndexUnavailableError of a call Chroma failed internally, so `run` can retry it once."""

    def __init__(self, error: IndexUnavailableError) -> None:
        super().__init__(str(error))
        self.error = error


def first_line(exc: BaseException) -> str:
    """The gist of an error for a user message (httpx adds a second line pointing to MDN's status page)."""
    return (str(exc).strip().splitlines() or [""])[0][:200]


def unavailable(what: str, detail: str, *, where: str, server: str | None) -> IndexUnavailableError:
    """The error a user sees when `what` failed on the index at `where` (a Chroma server's when `server`)."""
    if server is not None and _REFUSED.search(detail):  # it answered: asking whether it runs misleads
        return IndexUnavailableError(
            f"the document index refused the request: {what} at {where} ({detail}). Check the token "
            "(GUARDED_RAG_CHROMA_TOKEN) and that it may use this collection; `guarded-rag doctor` checks it."
        )
    if server is not None:
        return IndexUnavailableError(
            f"the document index did not answer: {what} at {where} ({detail}). Is the server running and "
            "reachable from here? Try again; `guarded-rag doctor` checks it."
        )
    return IndexUnavailableError(
        f"the document index did not answer: {what} ({detail}). Try again; if it persists, run `guarded-rag doctor`."
    )
