"""A PDF's text, for ingestion: extracted page by page with pypdf under a character budget (a small PDF can hold
far more text than its size: extraction stops once the text outgrows the limit, inside a page too), an empty
user password tried, and lone surrogates made valid text. A PDF that cannot be read raises `PdfUnreadable`
with what to tell the user; one whose text is too large raises `PdfTextTooLarge` (the loader turns either into
a LoadProblem)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import PageObject


class PdfTextTooLarge(Exception):
    """Raised by the extraction visitor to stop a PDF's extraction as soon as its text outgrows the limit."""


class PdfUnreadable(Exception):
    """The PDF cannot be read (password-protected, or pypdf could not parse it); the message says what to do."""


class _TextBudget:
    """Counts the characters pypdf extracts, page by page and piece by piece within a page (one page that draws a
    form 100,000 times is one `extract_text` call), and stops the extraction when they pass `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def visit(self, text: object, *_: object) -> None:
        self.used += len(text) if isinstance(text, str) else 0
        if self.used > self.limit:
            raise PdfTextTooLarge

    def page(self, page: PageObject) -> str:
        return page.extract_text(visitor_text=self.visit) or ""


def _without_lone_surrogates(text: str) -> str:
    """pypdf decodes a font's ToUnicode map with "surrogatepass", so a PDF can yield lone surrogates, which no
    UTF-8 encoder (chunk ids, the index, JSON) accepts. Through UTF-16 a split pair becomes its character again
    and a lone one U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def pdf_text(data: bytes, max_chars: int) -> tuple[str, int]:
    """(text, pages) of the PDF in `data`, pages joined by a blank line; PdfTextTooLarge once the text passes
    `max_chars` (the rest is not extracted), PdfUnreadable when it cannot be read."""
    from pypdf import PdfReader  # deferred: only PDFs need it

    budget = _TextBudget(max_chars)
    try:
        reader = PdfReader(io.BytesIO(data))
        # Many PDFs are "encrypted" with an empty user password only to restrict printing; try that.
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else [budget.page(page) for page in reader.pages]
    except PdfTextTooLarge:
        raise
    except Exception as exc:
        raise PdfUnreadable(
            f"the PDF could not be parsed ({type(exc).__name__}: {str(exc)[:120]}); re-export it or convert it to text."
        ) from exc
    if locked:
        raise PdfUnreadable("the PDF is password-protected; save an unprotected copy.")
    return _without_lone_surrogates("\n\n".join(p.strip() for p in pages)), len(pages)
