"""Bug hunt: the BM25 half stays in step with writes made by another DocumentIndex on the same directory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.documents.chunking import chunk_text
from app.documents.index import DocumentIndex
from app.documents.ingest import ingest_paths
from tests.fake_embeddings import BagOfWordsEmbeddings

pytestmark = pytest.mark.disable_socket


def _index(path: Path) -> DocumentIndex:
    return DocumentIndex(path=path, collection="docs", embeddings=BagOfWordsEmbeddings())


def _upsert(index: DocumentIndex, source: str, text: str) -> None:
    drafts = chunk_text(text, source=source)
    index.upsert_document(source, "sha-" + source, drafts, BagOfWordsEmbeddings().embed_documents([d.text for d in drafts]))


def test_a_reader_that_resynced_during_a_write_picks_up_the_writers_flushed_file(tmp_path: Path) -> None:
    """A reader that rebuilt its BM25 index from Chroma while another writer held the lock (so it could not save
    it) must still read the writer's file once that writer flushes: else every term the writer added afterwards
    stays unknown to it (the question-coverage signal says the corpus never mentions it)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bread.md").write_text("# Bread\n\nBake bread with flour, water and yeast.", encoding="utf-8")
    reader = _index(tmp_path / "idx")
    ingest_paths([docs], index=reader, embeddings=BagOfWordsEmbeddings(), root=docs, max_bytes=10**6)
    assert reader.question_terms("flour") == (("flour",), ())
    writer = _index(tmp_path / "idx")
    assert writer.question_terms("flour") == (("flour",), ())  # its BM25 index loaded, as in a running app
    first_written, reader_done = threading.Event(), threading.Event()

    def write() -> None:
        with writer.writing("ingest"):
            _upsert(writer, "sour.md", "Sourdough needs a starter culture.")
            first_written.set()
            reader_done.wait(30)
            _upsert(writer, "rye.md", "Pumpernickel is a dense rye loaf.")
            writer.flush()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert first_written.wait(30)
        # the reader meets a chunk id it does not know among its vector hits: it resyncs from Chroma, but the
        # writer holds the lock, so it keeps that copy in memory only
        assert reader.search("sourdough starter", 1)[0].source == "sour.md"
    finally:
        reader_done.set()
        thread.join(30)
    assert reader.question_terms("pumpernickel") == (("pumpernickel",), ())


class _FailingOn(BagOfWordsEmbeddings):
    """Embeds until it meets a text with `word` in it: an embedder that went down in the middle of an ingest."""

    def __init__(self, word: str) -> None:
        super().__init__()
        self._word = word

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if any(self._word in t for t in texts):
            raise ConnectionError("the embedder went away")
        return super().embed_documents(texts)


def test_an_ingest_that_fails_midway_still_saves_the_bm25_terms_of_what_it_wrote(tmp_path: Path) -> None:
    """The files ingested before an embedder failure are in Chroma: their BM25 terms must reach the lexical file
    too, or a running app (which reads that file when it changes) never learns them."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a-bread.md").write_text("# Bread\n\nBake bread with flour, water and yeast.", encoding="utf-8")
    app = _index(tmp_path / "idx")
    ingest_paths([docs], index=app, embeddings=BagOfWordsEmbeddings(), root=docs, max_bytes=10**6)
    assert app.question_terms("pumpernickel") == (("pumpernickel",), ("pumpernickel",))
    (docs / "b-rye.md").write_text("Pumpernickel is a dense rye loaf.", encoding="utf-8")
    (docs / "b-oat.md").write_text("Oatcakes are baked on a griddle.", encoding="utf-8")
    (docs / "c-sour.md").write_text("Sourdough needs a starter culture.", encoding="utf-8")
    cli = _index(tmp_path / "idx")
    with pytest.raises(ConnectionError):
        ingest_paths([docs], index=cli, embeddings=_FailingOn("Sourdough"), root=docs, max_bytes=10**6)
    assert [d.source for d in cli.documents()] == ["a-bread.md", "b-oat.md", "b-rye.md"]
    assert app.question_terms("pumpernickel") == (("pumpernickel",), ())


def test_a_bm25_rebuild_does_not_save_over_a_newer_file_written_while_it_read_the_store(tmp_path: Path) -> None:
    """Rebuilding BM25 from Chroma reads (and cuts) every chunk: minutes on a large corpus. A writer that added a
    document meanwhile and saved its file must not have that file replaced by the rebuild's older copy, which
    every other process then reads (and in which the new document's terms are missing)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bread.md").write_text("# Bread\n\nBake bread with flour, water and yeast.", encoding="utf-8")
    ingest_paths([docs], index=_index(tmp_path / "idx"), embeddings=BagOfWordsEmbeddings(), root=docs, max_bytes=10**6)
    app = _index(tmp_path / "idx")
    assert app.question_terms("flour") == (("flour",), ())  # loaded from the file, as a running app has it
    died = _index(tmp_path / "idx")
    died.question_terms("flour")
    _upsert(died, "sour.md", "Sourdough needs a starter culture.")  # a writer that died before its flush
    rebuilding = _index(tmp_path / "idx")  # a new process: the file is stale, so it rebuilds from Chroma
    read_all = rebuilding.rows

    def slow_rows() -> Iterator[tuple[str, str, str]]:
        rows = list(read_all())
        uploader = _index(tmp_path / "idx")  # meanwhile another process ingests a document, and saves its file
        uploader.question_terms("flour")
        _upsert(uploader, "rye.md", "Pumpernickel is a dense rye loaf.")
        uploader.flush()
        yield from rows

    rebuilding._lexical._store.rows = slow_rows
    assert rebuilding.question_terms("sourdough") == (("sourdough",), ())
    assert app.question_terms("pumpernickel sourdough") == (("pumpernickel", "sourdough"), ())
