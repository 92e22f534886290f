"""parse_document on PDFs whose text is far larger than the file: refused once the text passes the limit, with the
extraction stopped there (page by page, and inside one page); and PDF text that no UTF-8 encoder accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pypdf import PageObject

from app.documents import loaders
from app.documents.load_types import LoadedDocument, LoadProblem
from app.documents.loaders import parse_document
from tests.app.documents.pdfs import form_drawn_pdf, repeated_text_pdf

SENTENCE = "Ollama listens on port 11434. "  # 30 characters


def _spy_pages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """How each page's extraction ended: "done" or "stopped" (it raised)."""
    outcomes: list[str] = []
    real = PageObject.extract_text

    def extract_text(self: PageObject, *args: Any, **kwargs: Any) -> str:
        try:
            text = real(self, *args, **kwargs)
        except BaseException:
            outcomes.append("stopped")
            raise
        outcomes.append("done")
        return text

    monkeypatch.setattr(PageObject, "extract_text", extract_text)
    return outcomes


def _load(tmp_path: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch, *, max_bytes: int) -> LoadedDocument | LoadProblem:
    """load_document with MAX_TEXT_MB 0: the text limit is then the file size limit, `max_bytes` characters."""
    monkeypatch.setattr(loaders, "MAX_TEXT_MB", 0, raising=False)
    path = tmp_path / "bomb.pdf"
    path.write_bytes(pdf)
    assert len(pdf) <= max_bytes  # the file itself is within the size limit
    return loaders.load_document(path, max_bytes=max_bytes, source="bomb.pdf")


def test_a_pdf_whose_pages_outgrow_the_limit_is_refused_without_reading_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = repeated_text_pdf(SENTENCE * 10, pages=400)  # 300 characters a page, 120,000 in all, from 63 KB
    outcomes = _spy_pages(monkeypatch)
    problem = _load(tmp_path, pdf, monkeypatch, max_bytes=66_000)
    assert isinstance(problem, LoadProblem) and problem.kind == "too_large" and problem.source == "bomb.pdf"
    assert (
        problem.message.startswith("extracted text larger than 0.1 MB (a PDF compresses text")
        and "GUARDED_RAG_MAX_FILE_MB" in problem.message
    )
    # the page that passes 66,000 characters is the last one read; the other 179 are not
    assert outcomes == ["done"] * (66_000 // 300) + ["stopped"]


def test_one_page_that_draws_a_form_many_times_is_stopped_inside_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = form_drawn_pdf(SENTENCE * 10, draws=2_000)  # 600,000 characters from one page of 24 KB
    outcomes = _spy_pages(monkeypatch)
    problem = _load(tmp_path, pdf, monkeypatch, max_bytes=30_000)
    assert isinstance(problem, LoadProblem) and problem.kind == "too_large"
    assert outcomes == ["stopped"]


def test_a_pdf_within_the_limit_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _load(tmp_path, repeated_text_pdf(SENTENCE, pages=3), monkeypatch, max_bytes=2_000)
    assert isinstance(doc, LoadedDocument) and doc.pages == 3 and doc.text.count("11434") == 3


def test_the_text_limit_follows_a_larger_file_size_limit() -> None:
    """Default MAX_TEXT_MB; raising GUARDED_RAG_MAX_FILE_MB above it raises the text limit too, as the message says."""
    mib = 1024 * 1024
    assert loaders.text_limit(5 * mib) == loaders.MAX_TEXT_MB * mib and 1 <= loaders.MAX_TEXT_MB <= 64
    assert loaders.text_limit(100 * mib) == 100 * mib


def test_pdf_text_with_lone_surrogates_is_stored_as_valid_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """pypdf decodes a font's ToUnicode map with "surrogatepass": a lone surrogate in the text made chunk ids, the
    index and JSON fail on encoding. A pair split in two is joined again; a lone one becomes U+FFFD."""
    monkeypatch.setattr(PageObject, "extract_text", lambda self, **_: "caf\udce9 \ud83d\ude00 port 11434")
    doc = parse_document(repeated_text_pdf(SENTENCE, pages=1), suffix=".pdf", source="s.pdf")
    assert isinstance(doc, LoadedDocument)
    assert doc.text == "caf\ufffd \U0001f600 port 11434" and doc.text.encode("utf-8")
