"""A PDF's pages and extraction time are bounded, as its bytes (GUARDED_RAG_MAX_FILE_MB) and its text (text_limit)
are: a 20,000-page PDF of 3 MB (its pages share one content stream) held ingest for some 13 s, and a longer one
for as long as it took, with no word to the user."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from app.documents.loaders import LoadedDocument, LoadProblem, load_document, parse_document
from app.documents.pdf import MAX_PDF_PAGES
from tests.app.documents.pdfs import repeated_text_pdf

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


def test_a_page_tree_that_understates_its_count_is_still_held_to_the_bound() -> None:
    # /Count is read to refuse without walking the page tree; a hostile file can lie in it, the walk cannot
    data = _huge_pdf().replace(b"/Count 20000", b"/Count 1    ")
    assert b"/Count 1    " in data
    problem = parse_document(data, suffix=".pdf", source="huge.pdf", max_pages=100)
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "too_large" and f"{PAGES:,} pages" in problem.message


def test_extraction_that_outlasts_its_time_is_stopped_and_may_be_tried_again() -> None:
    data = repeated_text_pdf("The walrus archive moved to shelf nine.", pages=3000)
    problem = parse_document(data, suffix=".pdf", source="long.pdf", max_seconds=0.2)  # all 3,000 pages: ~2 s
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "too_large" and "0.2 s" in problem.message
    assert problem.transient  # a busy machine, not the file: an earlier version stays indexed


def test_a_pdf_within_the_bounds_is_read_whole() -> None:
    doc = parse_document(repeated_text_pdf("Shelf nine.", pages=50), suffix=".pdf", source="ok.pdf", max_pages=50)
    assert isinstance(doc, LoadedDocument), doc
    assert doc.pages == 50 and doc.text.count("Shelf nine.") == 50
