"""The index on a real Chroma server (GUARDED_RAG_CHROMA_URL), started on loopback from the chromadb wheel: ingest,
ask, list and delete through it; a server killed mid-request is a typed error naming its URL and a restarted one is
used again by the same service; four ingest processes writing through it at once lose nothing."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import Settings
from app.doctor import index_backend_check
from app.documents.index import DocumentIndex
from app.documents.index_types import EmbedderMismatchError
from app.documents.ingest import READER_VERSION
from app.documents.integrity import scan_client
from app.documents.server import connect_http
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.fake_service import make_service
from tests.robustness.conftest import ChromaServer, finish, start

pytestmark = pytest.mark.robustness
Q = "Which port does Ollama listen on by default?"
GOOD = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})


def test_ingest_ask_list_delete_go_through_the_server_and_nothing_is_written_locally(
    tmp_path: Path, chroma: ChromaServer
) -> None:
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [GOOD] * 4}, chroma_url=chroma.url, ingest=False)
    report = svc.ingest()
    assert report.chunks_added > 0 and not report.problems
    assert sorted(d.source for d in svc.documents()) == ["modelfile.md", "ollama-port.md", "端口.md"]
    answer = svc.ask(Q)
    assert answer.status == "answered" and answer.citations[0].source == "ollama-port.md"
    assert svc.index_stats().path == chroma.url
    # No Chroma files, lock or generation file locally: only this machine's cache of the BM25 half of hybrid search.
    local = tmp_path / "home" / "index"
    assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()) == ["lexical/docs.json"]

    # A second service (another process would do the same) sees the same index, and its deletion is seen here.
    other, _ = make_service(tmp_path / "other", chroma_url=chroma.url, ingest=False)
    assert other.delete_document("modelfile.md") > 0
    assert sorted(d.source for d in svc.documents()) == ["ollama-port.md", "端口.md"]
    assert svc.index_integrity().ok
    assert svc.ingest().chunks_added > 0  # only the deleted document comes back: the others are unchanged
    assert len(svc.documents()) == 3

    # The embedder metadata check is the same as for the local index, and its message names the server.
    wider = DocumentIndex.from_settings(svc.settings, BagOfWordsEmbeddings(dimension=64, embedder_id="other-bow"))
    with pytest.raises(EmbedderMismatchError, match=chroma.url):
        wider.search(Q, 2)
    assert "Chroma server at " + chroma.url in index_backend_check(svc.settings).detail


def test_files_an_older_reader_indexed_are_stamped_again_on_the_server_keeping_their_vectors(
    tmp_path: Path, chroma: ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _ = make_service(tmp_path, chroma_url=chroma.url, ingest=False)
    assert svc.ingest().chunks_added > 0
    count = svc.index_stats().count
    monkeypatch.setattr("app.documents.ingest.READER_VERSION", READER_VERSION + 1)
    again = svc.ingest()
    assert len(again.unchanged) == 3 and again.chunks_added == 0 and svc.index_stats().count == count
    assert {d.reader for d in svc.documents()} == {READER_VERSION + 1}  # the metadata update went through the server


def test_a_server_killed_mid_request_is_a_typed_error_naming_it_and_a_restart_is_picked_up(
    tmp_path: Path, chroma: ChromaServer
) -> None:
    svc, _ = make_service(
        tmp_path, scripts={"smollm2:135m": [GOOD] * 10}, chroma_url=chroma.url, index_timeout=2.0, reraise_bugs=True
    )
    assert svc.ask(Q).status == "answered"
    chroma.freeze()  # the request below is in flight when the server dies
    box: dict[str, Any] = {}
    asker = threading.Thread(target=lambda: box.update(r=svc.ask(Q), t=time.monotonic()))
    started = time.monotonic()
    asker.start()
    time.sleep(0.5)
    chroma.kill()
    asker.join(30)
    failed = box["r"]
    assert failed.status == "error" and box["t"] - started < 6.0
    assert "the document index did not answer" in (failed.message or "") and chroma.url in (failed.message or "")
    assert any(e.step == "retrieval" and e.outcome == "error" and chroma.url in e.reason for e in failed.events)
    with pytest.raises(Exception, match=chroma.url):  # the CLI prints this message (IndexUnavailableError)
        svc.documents()

    chroma.start()  # same port, same data: the same service object answers again
    deadline = time.monotonic() + 30
    while (again := svc.ask(Q)).status == "error" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert again.status == "answered", again.message
    assert len(svc.documents()) == 3
    stored = svc.traces.get(failed.trace_id)
    assert stored is not None and stored.status == "error"


def test_four_ingest_processes_through_one_server_lose_nothing(tmp_path: Path, chroma: ChromaServer) -> None:
    home = tmp_path / "home"
    env = {"GUARDED_RAG_CHROMA_URL": chroma.url}
    writers = [start("ingest", str(home), f"w{i}", "3", "12", env=env) for i in range(4)]
    rounds: list[dict[str, Any]] = []
    for proc in writers:
        code, lines, err = finish(proc)
        assert code == 0, err[-2000:]
        rounds += lines
    assert len(rounds) == 12 and all(r["problems"] == 0 for r in rounds)
    assert not any(r["waited"] for r in rounds), "a writer waited for a lock: the server path must not take one"

    settings = Settings(home=home, docs_dir=home / "docs", chroma_url=chroma.url)
    index = DocumentIndex.from_settings(settings, BagOfWordsEmbeddings())
    docs = index.documents()
    assert len(docs) == 48 and all(d.file_sha for d in docs)  # 4 writers x 12 notes, each complete
    assert index.count() == sum(d.chunks for d in docs)
    client = connect_http(chroma.url, None, 30.0)
    found = scan_client(client, settings.collection, sample=index.count())  # every chunk: lookup and own-vector search
    assert found.ok and found.lookups == index.count() and found.chunks == index.count(), found.summary
    print(f"\nfour writers through {chroma.url}: {found.chunks} chunks, {found.lookups} exact lookups, 0 missed")


def _upstream(chroma: ChromaServer, request: Any) -> httpx.Response:
    """`request` (a werkzeug Request reaching a test proxy) sent on to the real server."""
    query = ("?" + request.query_string.decode()) if request.query_string else ""
    return httpx.request(
        request.method,
        chroma.url + request.path + query,
        content=request.get_data(),
        headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
        timeout=30,
    )


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


def test_the_token_goes_as_a_bearer_header_to_a_proxy_that_checks_it(tmp_path: Path, chroma: ChromaServer) -> None:
    """A token-checking reverse proxy (what GUARDED_RAG_CHROMA_TOKEN is for) in front of the real server."""
    from werkzeug import Request, Response

    seen: list[str | None] = []

    def forward(request: Request) -> Response:
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != "Bearer s3cret":
            return Response('{"error": "Unauthorized"}', status=401, content_type="application/json")
        upstream = _upstream(chroma, request)
        return Response(upstream.content, status=upstream.status_code, content_type=upstream.headers.get("content-type"))

    with _proxy(forward) as url:
        svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [GOOD]}, chroma_url=url, chroma_token="s3cret", ingest=False)
        assert svc.ingest().chunks_added > 0 and svc.ask(Q).status == "answered"
        assert seen and set(seen) == {"Bearer s3cret"}  # every request, the client's own included
        wrong, _ = make_service(tmp_path / "wrong", chroma_url=url, chroma_token="guess", ingest=False, reraise_bugs=True)
        refused = wrong.ask(Q)
        assert refused.status == "error" and "401" in (refused.message or "") and url in (refused.message or "")


def test_a_proxy_that_trickles_its_replies_holds_no_call_past_the_timeout(tmp_path: Path, chroma: ChromaServer) -> None:
    """httpx's timeout is per read: a reply sent a byte every 0.2 s would hold the store's worker thread (one of
    its call slots) for as long as it trickles, long after the question gave up on it. Every request to the server
    now ends within its timeout in all, and the service answers again once the replies come at full speed."""
    from werkzeug import Request, Response

    trickling = threading.Event()
    ended: list[float] = []

    def forward(request: Request) -> Response:
        upstream = _upstream(chroma, request)
        if not trickling.is_set():
            return Response(upstream.content, status=upstream.status_code, content_type="application/json")

        def slowly() -> Iterator[bytes]:
            body = upstream.content + b" " * 200  # JSON allows trailing blanks: at least 40 s of reply
            try:
                for i in range(len(body)):
                    time.sleep(0.2)
                    yield body[i : i + 1]
            finally:
                ended.append(time.monotonic())  # the reply is done, or the client hung up

        return Response(slowly(), status=upstream.status_code, content_type="application/json")

    with _proxy(forward) as url:
        client = connect_http(url, None, 1.0)
        trickling.set()
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout, match=r"the Chroma server's reply took longer than 1 s in all"):
            client.heartbeat()
        assert time.monotonic() - started < 3.0
        trickling.clear()
        assert client.heartbeat() > 0

        svc, _ = make_service(
            tmp_path, scripts={"smollm2:135m": [GOOD] * 4}, chroma_url=url, index_timeout=1.0, reraise_bugs=True
        )
        assert svc.ask(Q).status == "answered"
        ended.clear()
        trickling.set()
        started = time.monotonic()
        failed = svc.ask(Q)
        assert failed.status == "error" and url in (failed.message or "")
        # The store's client allows a write's deadline in all (5 x index_timeout); then the proxy sees it hang up.
        while not ended and time.monotonic() - started < 15.0:
            time.sleep(0.1)
        assert ended and ended[0] - started < 5.0 + 3.0, "the trickling request still held its thread"
        trickling.clear()
        assert svc.ask(Q).status == "answered"


def test_the_bm25_cache_notices_another_machines_write_within_the_recheck_interval(
    tmp_path: Path, chroma: ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other machines' writes change no local file: the write generation on the server tells this process's BM25 half
    that it is behind (app/documents/server_sync.py, ServerSync.behind)."""
    from app.documents import server_sync

    here, _ = make_service(tmp_path / "here", chroma_url=chroma.url)
    there, _ = make_service(tmp_path / "there", chroma_url=chroma.url, ingest=False)  # another home: another machine
    mine = DocumentIndex.from_settings(here.settings, BagOfWordsEmbeddings())
    assert mine.search(Q, 2) and not mine._server_changed()  # in step, and checked just now
    (tmp_path / "there" / "docs" / "extra.md").write_text("# Extra\n\nzyxwv plugh frobnicate.", encoding="utf-8")
    assert there.ingest([tmp_path / "there" / "docs" / "extra.md"]).chunks_added == 1
    assert not mine._server_changed()  # not rechecked within SERVER_RECHECK_S
    monkeypatch.setattr(server_sync, "SERVER_RECHECK_S", 0.0)
    assert mine._server_changed()  # the server holds a chunk the BM25 half has not seen
    hits = mine.search("zyxwv plugh frobnicate", 2)
    assert hits[0].source.endswith("extra.md") and not mine._server_changed()  # rebuilt from the server
