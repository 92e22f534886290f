"""The index on a real Chroma server (the `chroma` CLI of the chromadb wheel, on loopback) when something between
here and its files misbehaves: the collection deleted or replaced by another machine, error replies that are not
Chroma's own (a proxy's 502 page, a plain 500, a 401 from a token-checking proxy), a server refusing the token."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.documents.chunking import ChunkDraft
from app.documents.index import DocumentIndex
from app.documents.index_types import EmbedderMismatchError
from app.documents.server import connect_http
from app.documents.store import ChromaStore, IndexUnavailableError
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.robustness.conftest import ChromaServer


def _store(url: str, token: str | None = None) -> ChromaStore:
    """A client of its own (another process or machine would have one), not the process-wide server_store."""
    return ChromaStore(Path("unused"), connect=lambda: connect_http(url, token, 10.0), server=url)


def _index(tmp_path: Path, url: str, collection: str, emb: BagOfWordsEmbeddings, token: str | None = None) -> DocumentIndex:
    return DocumentIndex(path=tmp_path, collection=collection, embeddings=emb, store=_store(url, token), timeout=5.0)


def _add(index: DocumentIndex, emb: BagOfWordsEmbeddings, source: str, text: str) -> None:
    chunk = ChunkDraft(chunk_id=f"{source}#0", text=text, heading="", ordinal=0, start=0)
    index.upsert_document(source, f"sha-{source}", [chunk], emb.embed_documents([text]))
    index.flush()


def test_a_collection_another_machine_rebuilt_is_opened_again_and_a_write_meanwhile_is_a_typed_error(
    tmp_path: Path, chroma: ChromaServer
) -> None:
    emb = BagOfWordsEmbeddings()
    here = _index(tmp_path / "here", chroma.url, "rebuilt", emb)
    _add(here, emb, "old.md", "ollama listens on port 11434")
    assert [c.source for c in here.search("port 11434", 2)] == ["old.md"]

    # Another machine runs `ingest --rebuild` through the same server: the collection is dropped and made again.
    there = _index(tmp_path / "there", chroma.url, "rebuilt", emb)
    there.reset()
    _add(there, emb, "new.md", "plugh frobnicate xyzzy")

    # Before the fix every call here failed for good with chromadb's NotFoundError (the cached handle's id).
    assert [c.source for c in here.search("plugh frobnicate", 2)] == ["new.md"]
    assert here.count() == 1 and [d.source for d in here.documents()] == ["new.md"]

    # Rebuilt again, now by a machine with another embedder: a write must not land in the new collection. An upsert
    # first lists the source's chunks (a read, which opens the collection by name again), so the embedder check runs
    # on the new collection's metadata and refuses at once.
    wider = BagOfWordsEmbeddings(dimension=64, embedder_id="other-bow")
    other = _index(tmp_path / "other", chroma.url, "rebuilt", wider)
    other.reset()
    with pytest.raises(EmbedderMismatchError):
        _add(here, emb, "mine.md", "a note written meanwhile")
    assert other.count() == 0  # nothing of this embedder's reached the other one's collection
    # A write call through a handle whose collection was replaced is never retried on the new one: a typed error.
    other.reset()
    with pytest.raises(IndexUnavailableError, match="'rebuilt' was deleted or replaced by another process"):
        here._col("writing", lambda c: c.upsert(ids=["x"], embeddings=[[1.0] * 64], documents=["x"]), write=True)
    assert other.count() == 0


@contextlib.contextmanager
def _proxy(handler: Callable[[Any], Any]) -> Iterator[str]:
    """A reverse proxy on loopback calling `handler(request)` for every request; yields its URL."""
    from pytest_httpserver import HTTPServer

    proxy = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    proxy.expect_request(re.compile(".*")).respond_with_handler(handler)
    proxy.start()
    try:
        yield proxy.url_for("/").rstrip("/")
    finally:
        proxy.clear()
        proxy.stop()


def _forwarding(chroma: ChromaServer, refuse: dict[str, Any]) -> Callable[[Any], Any]:
    """Forwards to the real server, unless refuse["reply"] (status, body, content type) is set and the request is
    not the heartbeat (which a Chroma server with auth answers without a token)."""
    from werkzeug import Request, Response

    def forward(request: Request) -> Response:
        reply = refuse.get("reply")
        if reply is not None and not request.path.endswith("/heartbeat"):
            status, body, kind = reply
            return Response(body, status=status, content_type=kind)
        query = ("?" + request.query_string.decode()) if request.query_string else ""
        upstream = httpx.request(
            request.method,
            chroma.url + request.path + query,
            content=request.get_data(),
            headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
            timeout=30,
        )
        return Response(upstream.content, status=upstream.status_code, content_type=upstream.headers.get("content-type"))

    return forward


# (status, body, content type, what the message shows: the status, or the reply when the client was being rebuilt)
FOREIGN_ERRORS = [
    (502, "<html><body>502 Bad Gateway</body></html>", "text/html", "bad gateway"),
    (500, "Internal Server Error", "text/plain", "internal server error"),
    (401, '{"error": "Unauthorized"}', "application/json", "unauthorized"),  # JSON, but not one of Chroma's errors
    (403, '{"error": "AuthorizationError", "message": "token revoked"}', "application/json", "forbidden|token revoked"),
]


@pytest.mark.parametrize(("status", "body", "kind", "shown"), FOREIGN_ERRORS)
def test_error_replies_that_are_not_chromas_own_are_typed_errors_naming_the_server(
    tmp_path: Path, chroma: ChromaServer, status: int, body: str, kind: str, shown: str
) -> None:
    """chromadb raises a bare Exception(reply text) for these: it reached the user as an internal error."""
    emb = BagOfWordsEmbeddings()
    refuse: dict[str, Any] = {}
    with _proxy(_forwarding(chroma, refuse)) as url:
        index = _index(tmp_path, url, f"foreign-{status}", emb)
        _add(index, emb, "a.md", "ollama listens on port 11434")
        refuse["reply"] = (status, body, kind)
        with pytest.raises(IndexUnavailableError, match=re.escape(url)) as failed:
            index.search("port 11434", 2)
        assert re.search(shown, str(failed.value), re.IGNORECASE) and "\n" not in str(failed.value)
        refused = status in (401, 403)  # it answered: the hint is the token, not whether the server runs
        assert ("GUARDED_RAG_CHROMA_TOKEN" in str(failed.value)) is refused
        assert ("Is the server running" in str(failed.value)) is not refused
        with pytest.raises(IndexUnavailableError, match=re.escape(url)):
            _add(index, emb, "b.md", "written while the proxy refuses")
        refuse.clear()
        assert [c.source for c in index.search("port 11434", 2)] == ["a.md"]  # the same client answers again


def test_a_server_refusing_the_token_after_a_public_heartbeat_is_a_typed_error(tmp_path: Path, chroma: ChromaServer) -> None:
    """A Chroma server with token auth answers the heartbeat to anyone; the client's first authenticated request
    (its identity) then fails with chromadb's ChromaAuthError, which escaped the store (even DocumentIndex())."""
    refuse: dict[str, Any] = {"reply": (401, '{"error": "AuthError", "message": "bad token"}', "application/json")}
    with _proxy(_forwarding(chroma, refuse)) as url:
        index = _index(tmp_path, url, "refused", BagOfWordsEmbeddings(), token="guess")
        with pytest.raises(IndexUnavailableError, match=re.escape(url)) as failed:
            index.count()
        assert "ChromaAuthError" in str(failed.value) and "bad token" in str(failed.value)
        assert "GUARDED_RAG_CHROMA_TOKEN" in str(failed.value) and "Is the server running" not in str(failed.value)
        refuse.clear()  # the right token now: the same index answers
        assert index.count() == 0


class _WrittenDuringCheck:
    """The real collection, with another real client (another machine) writing a new chunk right after each of the
    check's first `writes` chunk counts: a writer overlapping the check, made to happen at a known moment."""

    def __init__(self, col: Any, writer: Any, writes: int, tag: str) -> None:
        self._col, self._writer, self._writes, self._tag, self.written = col, writer, writes, tag, 0

    def count(self) -> int:
        found = int(self._col.count())
        if self.written < self._writes:
            self.written += 1
            self._writer.upsert(ids=[f"{self._tag}-{self.written}"], embeddings=[[1.0, float(self.written)]], documents=["late"])
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._col, name)


class _Client:
    def __init__(self, col: Any) -> None:
        self._col = col

    def get_collection(self, _name: str) -> Any:
        return self._col


def test_an_integrity_check_overlapping_another_machines_write_does_not_call_a_healthy_index_corrupted(
    chroma: ChromaServer,
) -> None:
    from app.documents.integrity import scan_client

    here, there = connect_http(chroma.url, None, 10.0), connect_http(chroma.url, None, 10.0)
    col = here.create_collection("checked-while-written", embedding_function=None)
    col.add(ids=[f"c{i}" for i in range(20)], embeddings=[[float(i), 1.0] for i in range(20)], documents=["x"] * 20)
    other = there.get_collection("checked-while-written")

    # One write during the check: the count and the listing disagreed (CORRUPTED) before; now it checks again.
    once = _WrittenDuringCheck(col, other, writes=1, tag="once")
    found = scan_client(_Client(once), "checked-while-written", sample=5)
    assert once.written == 1
    assert found.ok and found.checked and not found.problems and found.chunks == 21, found.summary

    # A writer that never pauses: the check says it could not check now, never CORRUPTED.
    busy = _WrittenDuringCheck(col, other, writes=100, tag="busy")
    found = scan_client(_Client(busy), "checked-while-written", sample=5)
    assert found.ok and not found.checked and "another process kept writing" in found.summary, found.summary
