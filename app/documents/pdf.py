"""A PDF's text, for ingestion: extracted page by page with pypdf under a character budget (a small PDF can hold
far more text than its size: extraction stops once the text outgrows the limit, inside a page too), an empty
user password tried, lone surrogates made valid text, and text drawn in fonts without a character map (read as
gibberish) refused, at most MAX_PDF_PAGES pages and MAX_PDF_SECONDS of extraction. A PDF that cannot be read
raises `PdfUnreadable` with what to tell the user; one whose text is too large raises `PdfTextTooLarge`, one too
long `PdfTooLong` (the loader turns each into a LoadProblem)."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

from app.settings.names import env_var

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader


class PdfTextTooLarge(Exception):
    """Raised by the extraction visitor to stop a PDF's extraction as soon as its text outgrows the limit."""


class PdfUnreadable(Exception):
    """The PDF cannot be read (password-protected, or pypdf could not parse it); the message says what to do."""


class PdfTooLong(Exception):
    """The PDF has more pages than are read from one file, or its text took longer than allowed to extract; the
    message says which and what to do. `transient`: only the time ran out (a busy machine may finish it)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


MAX_PDF_PAGES = 5000
"""Most pages read from one PDF: pypdf extracts some 1,500 pages a second, so a 20,000-page PDF (3 MB when its
pages share their content) held ingest for 13 s with no bound; a longer document is better split anyway."""
MAX_PDF_SECONDS = 60.0
"""Most seconds spent extracting one PDF's text (checked between pages and between pieces of text within one) when
the caller gives no limit; ingest gives its read timeout (GUARDED_RAG_INDEX_TIMEOUT)."""


_MAX_UNMAPPED_SHARE = 0.1
"""Most of a PDF's text (non-space characters) that may be drawn in fonts without a character map before the PDF is
refused: a little is a logo or a symbol font, more is the document's own text turned into gibberish. Not tuned on
data: a guess, on the side of reading."""


class _GlyphShare:
    """Counts the characters drawn in a font that has no map from its glyphs to characters: a composite (Type0) font
    with the Identity encoding and no /ToUnicode, as CJK PDFs often embed. pypdf then reads the glyph numbers as
    UTF-16, and a Chinese sentence comes out as combining marks, Greek and Cyrillic: gibberish that would be indexed
    as text."""

    def __init__(self) -> None:
        self.shown = 0
        self.unmapped = 0

    def count(self, text: str, font: object) -> None:
        visible = len(text) - sum(ch.isspace() for ch in text)
        self.shown += visible
        if isinstance(font, dict) and _unmapped(font):
            self.unmapped += visible

    def too_much_unmapped(self) -> bool:
        return self.unmapped > _MAX_UNMAPPED_SHARE * self.shown


def _unmapped(font: dict[object, object]) -> bool:
    return (
        font.get("/Subtype") == "/Type0" and font.get("/Encoding") in ("/Identity-H", "/Identity-V") and "/ToUnicode" not in font
    )


class _TextBudget:
    """Counts the characters pypdf extracts, page by page and piece by piece within a page (one page that draws a
    form 100,000 times is one `extract_text` call), and stops the extraction when they pass `limit`."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.used = 0
        self.glyphs = _GlyphShare()
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def visit(self, text: object, _cm: object = None, _tm: object = None, font: object = None, *_: object) -> None:
        if not isinstance(text, str):
            return
        self.used += len(text)
        if self.used > self.limit:
            raise PdfTextTooLarge
        self.check_time()
        self.glyphs.count(text, font)

    def check_time(self) -> None:
        if time.monotonic() > self.until:
            raise PdfTooLong(
                f"extracting the PDF's text took longer than {self.seconds:g} s; raise {env_var('index_timeout')} "
                "(seconds) to allow it more time, or split it into smaller PDFs or convert it to text.",
                transient=True,
            )

    def page(self, page: PageObject) -> str:
        self.check_time()
        return page.extract_text(visitor_text=self.visit) or ""


def _too_many_pages(pages: int, max_pages: int) -> PdfTooLong:
    return PdfTooLong(f"the PDF has {pages:,} pages, more than the {max_pages:,} read from one file; split it into smaller PDFs.")


def _declared_pages(reader: PdfReader) -> int | None:
    """The page count the PDF's page tree declares (/Count), read without walking the tree. It may lie."""
    from pypdf.generic import DictionaryObject

    try:
        tree = reader.root_object.get("/Pages")
        tree = tree.get_object() if tree is not None else None
        count = tree.get("/Count") if isinstance(tree, DictionaryObject) else None
    except Exception:  # a broken tree: pypdf says what is wrong when the pages are walked
        return None
    return count if isinstance(count, int) else None


def _tree_entries(max_pages: int) -> int:
    """Most page-tree entries (pages and the /Pages nodes above them) walked to list at most `max_pages` pages: a
    node above pages has at least one kid, and a chain of single kids is cut by pypdf's depth limit, so twice the
    pages plus that depth lets any tree of `max_pages` pages through and stops a longer one early."""
    from pypdf import get_configuration

    return 2 * max_pages + get_configuration().page_tree_maximum_depth


def _walked_pages(reader: PdfReader, max_pages: int) -> list[PageObject]:
    """The PDF's pages, the page tree walked at most as far as `max_pages` pages need: a tree that understates its
    /Count otherwise held the walk to pypdf's own limit of 100,000 entries (some 12 s) before the bound applied.
    /Count is not trusted either way (a PDF that overstates it is read); it only names the length of one that is
    too long."""
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError

    try:
        with apply_configuration(page_tree_maximum_entries=_tree_entries(max_pages)):  # a context variable: this call
            pages = list(reader.pages)
    except LimitReachedError as exc:
        if "entry limit" not in str(exc):  # too deep, or too many page entries: a broken or hostile tree
            raise
        declared = _declared_pages(reader)
        if declared is not None and declared > max_pages:
            raise _too_many_pages(declared, max_pages) from exc
        raise PdfTooLong(
            f"the PDF has more than {max_pages:,} pages, the most read from one file; split it into smaller PDFs."
        ) from exc
    if len(pages) > max_pages:
        raise _too_many_pages(len(pages), max_pages)
    return pages


def _pages(reader: PdfReader, budget: _TextBudget, max_pages: int) -> list[str]:
    return [budget.page(page) for page in _walked_pages(reader, max_pages)]


def _without_lone_surrogates(text: str) -> str:
    """pypdf decodes a font's ToUnicode map with "surrogatepass", so a PDF can yield lone surrogates, which no
    UTF-8 encoder (chunk ids, the index, JSON) accepts. Through UTF-16 a split pair becomes its character again
    and a lone one U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _missing_library(exc: Exception) -> str:
    """What to tell a user whose PDF pypdf cannot read without an optional package. Acrobat encrypts with AES, even
    with an empty password (to restrict printing), and pypdf decrypts AES only with `cryptography` installed."""
    if "AES" in str(exc):
        return (
            "the PDF is encrypted with AES, which this installation cannot decrypt (the Python package cryptography "
            "is missing: pip install cryptography); or save an unprotected copy."
        )
    return f"reading the PDF needs a package this installation lacks ({str(exc)[:120]}); install it, or convert the PDF to text."


def pdf_text(
    data: bytes, max_chars: int, *, max_pages: int = MAX_PDF_PAGES, max_seconds: float = MAX_PDF_SECONDS
) -> tuple[str, int]:
    """(text, pages) of the PDF in `data`, pages joined by a blank line; PdfTextTooLarge once the text passes
    `max_chars` (the rest is not extracted), PdfTooLong beyond `max_pages` pages or `max_seconds` of extraction,
    PdfUnreadable when it cannot be read."""
    from pypdf import PdfReader  # deferred: only PDFs need it
    from pypdf.errors import DependencyError

    budget = _TextBudget(max_chars, max_seconds)
    try:
        reader = PdfReader(io.BytesIO(data))
        # Many PDFs are "encrypted" with an empty user password only to restrict printing; try that.
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else _pages(reader, budget, max_pages)
    except (PdfTextTooLarge, PdfTooLong):
        raise
    except DependencyError as exc:  # not a broken file: "re-export it" would not help
        raise PdfUnreadable(_missing_library(exc)) from exc
    except Exception as exc:
        raise PdfUnreadable(
            f"the PDF could not be parsed ({type(exc).__name__}: {str(exc)[:120]}); re-export it or convert it to text."
        ) from exc
    if locked:
        raise PdfUnreadable("the PDF is password-protected; save an unprotected copy.")
    if budget.glyphs.too_much_unmapped():
        raise PdfUnreadable(
            "the PDF's fonts have no map from their glyphs to characters (common in Chinese, Japanese and Korean PDFs): "
            "its text would be read as gibberish; run OCR on it, or re-export it with text (Unicode) fonts."
        )
    return _without_lone_surrogates("\n\n".join(p.strip() for p in pages)), len(pages)
