"""Machines sharing one Chroma server (a real `chroma run` on loopback): the BM25 half notices another machine's
re-ingest even when the chunk count stays the same, two machines writing one source at once leave one version of
it (not none), and a server of an unsupported version is refused at connect with a message naming the versions."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.documents import server_sync
from app.documents.chunking import ChunkDraft
from app.documents.index import DocumentIndex
from app.documents.server import connect_http
from app.documents.server_sync import WRITE_KEY, new_token, superseded
from app.documents.store import ChromaStore, IndexUnavailableError
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.robustness.conftest import ChromaServer


def _index(home: Path, url: str, collection: str, emb: BagOfWordsEmbeddings) -> DocumentIndex:
    """A machine of its own: its own home (lexical file) and its own client of the server."""
    store = ChromaStore(Path("unused"), connect=lambda: connect_http(url, None, 10.0), server=url)
    return DocumentIndex(path=home, collection=collection, embeddings=emb, store=store, timeout=10.0)


def _chunks(source: str, texts: list[str]) -> list[ChunkDraft]:
    return [ChunkDraft(chunk_id=f"{source}#{t}", text=t, heading="", ordinal=i, start=0) for i, t in enumerate(texts)]


def test_a_reingest_with_as_many_chunks_reaches_another_machines_bm25(
    tmp_path: Path, chroma: ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = BagOfWordsEmbeddings()
    writer = _index(tmp_path / "writer", chroma.url, "same-count", emb)
    reader = _index(tmp_path / "reader", chroma.url, "same-count", emb)
    for n in range(24):
        text = f"filler note {n}"
        writer.upsert_document(f"f{n}.md", f"sha{n}", _chunks(f"f{n}.md", [text]), emb.embed_documents([text]))
    # The changed document is never among the 20 vector candidates of the question (as in a large corpus): its
    # vector points away from it. So only the BM25 half can find it, and only if it knows the new text.
    away = [-v for v in emb.embed_query("zebra")]
    writer.upsert_document("x.md", "old", _chunks("x.md", ["wombat burrows"]), [away])
    writer.flush()
    assert reader.question_terms("wombat zebra") == (("wombat", "zebra"), ("zebra",))
    assert reader.search("zebra", 3)  # the reader's BM25 half is loaded and in step

    writer.upsert_document("x.md", "new", _chunks("x.md", ["zebra stripes"]), [away])  # one chunk, as before
    writer.flush()
    monkeypatch.setattr(server_sync, "SERVER_RECHECK_S", 0.0)

    # Before the fix: same count, every vector candidate known, so the BM25 half stayed on "wombat burrows".
    assert "x.md" in [c.source for c in reader.search("zebra", 3)]
    assert reader.question_terms("wombat zebra") == (("wombat", "zebra"), ("wombat",))
    assert not reader._server_changed()  # in step now: no rebuild on every search


def test_two_machines_writing_one_source_at_once_leave_one_version_of_it(tmp_path: Path, chroma: ChromaServer) -> None:
    emb = BagOfWordsEmbeddings()
    one = _index(tmp_path / "one", chroma.url, "same-source", emb)
    two = _index(tmp_path / "two", chroma.url, "same-source", emb)
    old = ["the old text", "of the shared note"]
    one.upsert_document("shared.md", "sha-old", _chunks("shared.md", old), emb.embed_documents(old))
    versions = {
        "sha-one": ["version one says alpha", "and beta", "and gamma"],
        "sha-two": ["version two says delta", "and epsilon"],
    }
    # Both machines list the source's chunks at the same moments: each has stored its own chunks before either
    # looks at what to delete (the interleaving that made each delete the other's).
    met = threading.Barrier(2, timeout=60)
    for machine in (one, two):
        listing: Callable[..., Iterator[tuple[str, Any]]] = machine._metadatas

        def in_step(where: dict[str, Any] | None = None, *, _listing: Callable[..., Any] = listing) -> Any:
            if where is not None:
                met.wait()
            return _listing(where)

        machine._metadatas = in_step  # type: ignore[method-assign]
    errors: list[BaseException] = []

    def ingest(machine: DocumentIndex, sha: str) -> None:
        try:
            texts = versions[sha]
            machine.upsert_document("shared.md", sha, _chunks("shared.md", texts), emb.embed_documents(texts))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
            met.abort()

    threads = [threading.Thread(target=ingest, args=(m, sha)) for m, sha in ((one, "sha-one"), (two, "sha-two"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors

    reader = _index(tmp_path / "reader", chroma.url, "same-source", emb)
    [doc] = reader.documents()
    assert doc.file_sha in versions and doc.chunks == len(versions[doc.file_sha])  # one whole version, not none
    assert sorted(text for _, _, text in reader.rows()) == sorted(versions[doc.file_sha])
    # Whichever lost knows in its BM25 half what won (it read the winner's chunks back).
    for machine in (one, two):
        assert sorted(machine._lexical._chunks) == sorted(f"shared.md#{t}" for t in versions[doc.file_sha])


def test_a_write_wins_over_every_write_it_saw_whatever_the_clock_says() -> None:
    future = "29991231T235959.999999Z-" + "0" * 32  # written by a machine whose clock ran far ahead
    mine = new_token([future, ""])
    assert mine > future
    stored = [("a", {WRITE_KEY: future}), ("b", {WRITE_KEY: mine}), ("c", {}), ("d", {WRITE_KEY: "zzz-not-ours"})]
    assert superseded(stored, mine) == (["a", "c", "d"], mine)
    # seen from the write that lost: its own chunks go, the newer one's stay
    assert superseded([("a", {WRITE_KEY: future}), ("b", {WRITE_KEY: mine})], future) == (["a"], mine)


def _fake_server(httpserver: Any, replies: dict[str, tuple[int, str]]) -> str:
    for path, (status, body) in replies.items():
        httpserver.expect_request(path).respond_with_data(body, status=status, content_type="application/json")
    httpserver.expect_request(re.compile(".*")).respond_with_data("", status=404)
    return str(httpserver.url_for("/")).rstrip("/")


@pytest.mark.parametrize(
    ("replies", "version"),
    [
        ({"/api/v2/heartbeat": (200, '{"nanosecond heartbeat": 1}'), "/api/v2/version": (200, '"0.6.3"')}, "0.6.3"),
        ({"/api/v2/heartbeat": (200, '{"nanosecond heartbeat": 1}'), "/api/v2/version": (200, '"2.0.1"')}, "2.0.1"),
        ({"/api/v1/version": (200, '"0.4.24"')}, "0.4.24"),  # no /api/v2 at all
    ],
)
def test_a_server_of_an_unsupported_version_is_refused_at_connect_naming_the_supported_ones(
    tmp_path: Path, httpserver: Any, replies: dict[str, tuple[int, str]], version: str
) -> None:
    url = _fake_server(httpserver, replies)
    index = _index(tmp_path, url, "versions", BagOfWordsEmbeddings())
    with pytest.raises(IndexUnavailableError) as caught:
        index.count()
    message = str(caught.value)
    assert f"runs version {version}" in message and "supports Chroma servers 1.x" in message
    assert "Is the server running" not in message  # it is running: the message must not send the user looking


def test_the_real_server_passes_the_version_check(tmp_path: Path, chroma: ChromaServer) -> None:
    index = _index(tmp_path, chroma.url, "versions-real", BagOfWordsEmbeddings())
    assert index.count() == 0
