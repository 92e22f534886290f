"""A PDF's pages and extraction time are bounded, as its bytes (GUARDED_RAG_MAX_FILE_MB) and its text (text_limit)
are: a 20,000-page PDF of 3 MB (its pages share one content stream) held ingest for some 13 s, and a longer one
for as long as it took, with no word to the user."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pypdf import PageObject, PdfReader, PdfWriter

from app.documents.index import DocumentIndex
from app.documents.ingest import ingest_paths
from app.documents.load_types import LoadedDocument, LoadProblem
from app.documents.loaders import load_document, parse_document
from app.documents.pdf import MAX_PDF_PAGES
from app.settings import env_name
from tests.app.documents.pdfs import repeated_text_pdf
from tests.fake_embeddings import BagOfWordsEmbeddings

MB = 1_000_000
PAGES = 20_000


@cache
def _huge_pdf() -> bytes:
    """A PDF of PAGES pages written by pypdf, each drawing the same short text."""
    page = PdfReader(io.BytesIO(repeated_text_pdf("The walrus archive moved to shelf nine.", pages=1))).pages[0]
    writer = PdfWriter()
    for _ in range(PAGES):
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_of_twenty_thousand_pages_is_refused_at_once_with_its_page_count(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    path.write_bytes(_huge_pdf())
    problem = load_document(path, max_bytes=10 * MB)  # unbounded, it parsed for 13 s
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "too_large" and not problem.transient
    assert f"{PAGES:,} pages" in problem.message and f"{MAX_PDF_PAGES:,}" in problem.message
    assert "split" in problem.message


def test_a_page_tree_that_understates_its_count_is_still_held_to_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # /Count is read to refuse without walking the page tree; a hostile file can lie in it, so the walk itself is
    # bounded: it stopped only at pypdf's own limit of 100,000 entries (some 12 s), building a page object for each
    data = _huge_pdf().replace(b"/Count 20000", b"/Count 1    ")
    assert b"/Count 1    " in data
    built = _count_pages_built(monkeypatch)
    problem = parse_document(data, suffix=".pdf", source="huge.pdf", max_pages=100)
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "too_large" and "more than 100 pages" in problem.message and "split" in problem.message
    assert 0 < len(built) <= 2 * 100 + 100  # the walk went no further than 100 pages need, not to all 20,000


def _count_pages_built(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """A list that grows by one each time pypdf builds a page object (once per page the page tree walk reaches)."""
    built: list[None] = []
    original = PageObject.__init__

    def counting(self: PageObject, *args: Any, **kwargs: Any) -> None:
        built.append(None)
        original(self, *args, **kwargs)

    monkeypatch.setattr(PageObject, "__init__", counting)
    return built


def test_a_tree_of_exactly_the_most_pages_is_read() -> None:
    doc = parse_document(repeated_text_pdf("Shelf nine.", pages=30), suffix=".pdf", source="ok.pdf", max_pages=30)
    assert isinstance(doc, LoadedDocument), doc
    assert doc.pages == 30


def test_ingest_holds_pdf_extraction_to_its_read_timeout(tmp_path: Path, index: DocumentIndex) -> None:
    # the extraction limit was a 60 s constant whatever GUARDED_RAG_INDEX_TIMEOUT (read_timeout_s) said
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "long.pdf").write_bytes(repeated_text_pdf("The walrus archive moved to shelf nine.", pages=3000))  # ~2 s
    report = ingest_paths(
        [docs], index=index, embeddings=BagOfWordsEmbeddings(), root=docs, max_bytes=10 * MB, read_timeout_s=0.2
    )
    assert not report.added
    [problem] = report.problems
    assert problem.source == "long.pdf" and problem.kind == "too_large" and "0.2 s" in problem.message
    assert problem.transient


def test_extraction_that_outlasts_its_time_is_stopped_and_may_be_tried_again() -> None:
    data = repeated_text_pdf("The walrus archive moved to shelf nine.", pages=3000)
    problem = parse_document(data, suffix=".pdf", source="long.pdf", max_seconds=0.2)  # all 3,000 pages: ~2 s
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "too_large" and "0.2 s" in problem.message
    assert problem.transient  # a busy machine, not the file: an earlier version stays indexed


def test_extraction_that_outlasts_its_time_names_the_setting_that_raises_it() -> None:
    # the message said only "split it into smaller PDFs", not which setting gives the extraction more time
    data = repeated_text_pdf("The walrus archive moved to shelf nine.", pages=3000)
    problem = parse_document(data, suffix=".pdf", source="long.pdf", max_seconds=0.2)
    assert isinstance(problem, LoadProblem) and problem.kind == "too_large", problem
    assert env_name("index_timeout") == "GUARDED_RAG_INDEX_TIMEOUT"
    assert "raise GUARDED_RAG_INDEX_TIMEOUT" in problem.message


def test_a_pdf_within_the_bounds_is_read_whole() -> None:
    doc = parse_document(repeated_text_pdf("Shelf nine.", pages=50), suffix=".pdf", source="ok.pdf", max_pages=50)
    assert isinstance(doc, LoadedDocument), doc
    assert doc.pages == 50 and doc.text.count("Shelf nine.") == 50


def test_a_page_tree_that_overstates_its_count_is_still_read() -> None:
    # /Count was trusted to refuse at once: a 3-page PDF declaring 9,999 pages was refused as too long
    data = repeated_text_pdf("Shelf nine.", pages=3).replace(b"/Count 3", b"/Count 9999")
    doc = parse_document(data, suffix=".pdf", source="three.pdf", max_pages=100)
    assert isinstance(doc, LoadedDocument), doc
    assert doc.pages == 3 and doc.text.count("Shelf nine.") == 3
