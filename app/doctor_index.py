"""`guarded-rag doctor`'s checks of the document index: which backend the settings select, what it holds (and
whether an older reader read some of it), its integrity, and a fix that matches why it failed (a Chroma server
refusing the token, one that does not answer, a folder the system will not open)."""

from __future__ import annotations

import re
from collections.abc import Callable

from app.doctor_check import Check
from app.documents.index_types import IndexStats
from app.documents.ingest import READER_VERSION
from app.documents.integrity import IndexIntegrity
from app.documents.store import IndexUnavailableError
from app.settings import Settings


def index_checks(
    settings: Settings, index_stats: Callable[[], IndexStats], integrity: Callable[[], IndexIntegrity] | None
) -> list[Check]:
    """The index backend, the index (stats read through `index_stats`), and its integrity (through `integrity`)."""
    checks = [index_backend_check(settings)]
    try:
        stats = index_stats()
        empty = stats.count == 0
        checks.append(
            Check(
                name="index",
                ok=not empty,
                detail=f"{stats.count} chunks from {stats.documents} documents in {stats.path} (embedder {stats.embedder_id})",
                fix="guarded-rag ingest" if empty else None,
            )
        )
        older = sum(n for version, n in stats.readers.items() if version < READER_VERSION)
        if older:
            checks.append(
                Check(
                    name="index reader",
                    ok=True,
                    detail=f"{older} of {stats.documents} documents were read by an older version of the reader; the next "
                    "`guarded-rag ingest` of their folder reads them again (they stay searchable meanwhile)",
                )
            )
    except Exception as exc:
        checks.append(_index_failed("index", settings, exc, str(exc)))
    if integrity is not None:
        try:
            found = integrity()
            checks.append(Check(name="index integrity", ok=found.ok, detail=found.summary, fix=found.fix))
        except Exception as exc:
            checks.append(_index_failed("index integrity", settings, exc, f"{type(exc).__name__}: {exc}"))
    return checks


def index_backend_check(settings: Settings) -> Check:
    """Which index backend the settings select (its reachability shows in the `index` check, which names it)."""
    if settings.chroma_url:
        token = "with" if settings.chroma_token else "without"
        return Check(
            name="index backend",
            ok=True,
            detail=f"Chroma server at {settings.chroma_url} ({token} a bearer token, GUARDED_RAG_CHROMA_URL): processes on "
            "any machine may read and write it at once",
        )
    return Check(
        name="index backend",
        ok=True,
        detail=f"local directory {settings.index_dir}: one process writes at a time (the others wait for it); "
        "set GUARDED_RAG_CHROMA_URL to share one index between processes and machines",
    )


# How a refusal shows in the error text: httpx's "Client error '401 Unauthorized' for url ...", chromadb's own error.
_REFUSED = re.compile(r"\b(401 Unauthorized|403 Forbidden)\b|\bChromaAuthError\b", re.IGNORECASE)


def _refusal(exc: BaseException) -> str | None:
    """'401 Unauthorized', '403 Forbidden' or 'ChromaAuthError' when the error (or one it came from) is the Chroma
    server (or the proxy before it) refusing the request, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if match := _REFUSED.search(str(current)):
            return match.group(0)
        current = current.__cause__ or current.__context__
    return None


def _index_failed(name: str, settings: Settings, exc: Exception, detail: str) -> Check:
    """A failed index check. A Chroma server that refuses the request answered: its problem is the bearer token, and
    the store's "is the server running?" would send the user to restart a server that runs."""
    refused = _refusal(exc) if settings.chroma_url else None
    if refused is None:
        return Check(name=name, ok=False, detail=detail, fix=_index_fix(settings, exc))
    sent = (
        "the bearer token of GUARDED_RAG_CHROMA_TOKEN"
        if settings.chroma_token
        else "no bearer token (GUARDED_RAG_CHROMA_TOKEN is unset)"
    )
    return Check(
        name=name,
        ok=False,
        detail=f"the Chroma server at {settings.chroma_url} answers but refused the request ({refused}); sent {sent}",
        fix="set GUARDED_RAG_CHROMA_TOKEN to the token the Chroma server (or the proxy before it) expects",
    )


def _index_fix(settings: Settings, exc: Exception) -> str:
    # A Chroma server that does not answer is not fixed by rebuilding the index.
    if settings.chroma_url and isinstance(exc, IndexUnavailableError):
        return f"start the Chroma server at {settings.chroma_url} or correct GUARDED_RAG_CHROMA_URL"
    # Nor is a folder the system will not open (a file in its way, permissions, a read-only or full disk).
    if isinstance(exc, OSError) and not settings.chroma_url:
        return (
            f"make {settings.index_dir} a folder this user can write (the error says what is in the way), "
            "or point GUARDED_RAG_HOME at another folder"
        )
    return "guarded-rag ingest --rebuild"
