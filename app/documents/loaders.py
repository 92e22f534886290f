"""Read one file from disk into text for ingestion: its bytes (file_bytes.py: the supported extensions, the size
limit, a read that hangs), then the parser its extension picks (PDF: pdf.py; markdown and plain text:
decoding.py), held to the text limit (`text_limit`). What it gives back is load_types.py.

App layer, I/O edge of the ingest path. A bad file never raises: it comes back as a `LoadProblem`
whose message tells the user what to do about it, and the batch goes on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.documents.decoding import binary_text, decode, looks_binary
from app.documents.encoding_hint import encoding_hint
from app.documents.file_bytes import read_bytes
from app.documents.load_types import MIB, LoadedDocument, LoadProblem
from app.documents.pdf import MAX_PDF_PAGES, MAX_PDF_SECONDS, PdfTextTooLarge, PdfTooLong, PdfUnreadable, pdf_text

MAX_TEXT_MB = 10
"""Most text, in MiB of characters, taken from one file whatever its size on disk (`text_limit`): a PDF compresses
its text, so a 300 KB PDF of 2,000 pages (one content stream they all share) yields 100 million characters, which
GUARDED_RAG_MAX_FILE_MB (checked on the bytes on disk) let through to fill memory and the index. A file whose
text outgrows the limit is refused; extraction stops there instead of finishing first."""


def text_limit(max_bytes: int) -> int:
    """The most characters one file may yield: MAX_TEXT_MB, or the file size limit when that is larger (text
    files never yield more characters than bytes, so raising GUARDED_RAG_MAX_FILE_MB raises this too)."""
    return max(MAX_TEXT_MB * MIB, max_bytes)


def _text_too_large(source: str, limit: int) -> LoadProblem:
    mb = f"{limit / MIB:.1f}"
    return LoadProblem(
        source=source,
        kind="too_large",
        message=f"extracted text larger than {mb} MB (a PDF compresses text: a small file can hold far more); "
        f"split it, or raise GUARDED_RAG_MAX_FILE_MB above {mb}.",
    )


def _binary(source: str) -> LoadProblem:
    return LoadProblem(source=source, kind="binary", message="the file looks binary, not text; check it is the right file.")


def _nul(source: str, at: int) -> LoadProblem:
    return LoadProblem(
        source=source,
        kind="binary",
        message=f"the file holds NUL characters, the first at character {at:,} (binary data, or text padded with NULs): "
        "remove them, or check it is the right file.",
    )


def parse_document(
    data: bytes,
    *,
    suffix: str,
    source: str,
    max_chars: int = MAX_TEXT_MB * MIB,
    max_pages: int = MAX_PDF_PAGES,
    max_seconds: float = MAX_PDF_SECONDS,
) -> LoadedDocument | LoadProblem:
    """Decode bytes already read (suffix picks the parser) into a LoadedDocument or a LoadProblem; text longer
    than `max_chars` is a problem (`text_limit` gives the limit that goes with a file size limit), and so is a PDF
    of more than `max_pages` pages or whose text takes more than `max_seconds` to extract."""
    sha = hashlib.sha256(data).hexdigest()
    if not data:
        return LoadProblem(source=source, kind="empty", message="the file is empty; add content or leave it out.")
    pages: int | None = None
    if suffix.lower() == ".pdf":
        try:
            text, pages = pdf_text(data, max_chars, max_pages=max_pages, max_seconds=max_seconds)
        except PdfTextTooLarge:
            return _text_too_large(source, max_chars)
        except PdfTooLong as exc:
            return LoadProblem(source=source, kind="too_large", message=str(exc), transient=exc.transient)
        except PdfUnreadable as exc:
            return LoadProblem(source=source, kind="unreadable", message=str(exc))
        encoding = "pdf"
        if not text.strip():
            return LoadProblem(
                source=source,
                kind="empty",
                message="the PDF has no extractable text (probably scanned images); run OCR on it first.",
            )
    else:
        if looks_binary(data):
            return _binary(source)
        decoded = decode(data)
        if decoded is None:
            return LoadProblem(source=source, kind="encoding", message=f"unreadable encoding: {encoding_hint(data)}")
        text, encoding = decoded
        if encoding in ("utf-16", "utf-32") and binary_text(text):
            return _binary(source)
        if "\0" in text:  # past the sniffed opening: NUL padding (a log preallocated), or binary appended
            return _nul(source, text.index("\0"))
    if len(text) > max_chars:  # a text file is held to it too, though its size limit keeps it far below
        return _text_too_large(source, max_chars)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return LoadProblem(source=source, kind="empty", message="the file has only whitespace; add content or leave it out.")
    return LoadedDocument(source=source, text=text, file_sha=sha, size_bytes=len(data), encoding=encoding, pages=pages)


def load_document(path: Path, *, max_bytes: int, source: str | None = None) -> LoadedDocument | LoadProblem:
    """Read and decode one file. Never raises for a bad file; see LoadProblem.kind for what went wrong."""
    source = source if source is not None else path.as_posix()
    data = read_bytes(path, max_bytes=max_bytes, source=source)
    if isinstance(data, LoadProblem):
        return data
    return parse_document(data, suffix=path.suffix, source=source, max_chars=text_limit(max_bytes))
