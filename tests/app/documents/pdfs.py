"""Small PDFs written by hand for the loader tests (pypdf's writer cannot add text): text that one content stream
draws, shared by many pages or drawn many times on one page through a form, so a file of a few KB yields as much
text as a test needs."""

from __future__ import annotations


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _shows(text: str) -> bytes:
    return f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def repeated_text_pdf(text: str, *, pages: int) -> bytes:
    """`pages` pages that all draw `text` from one shared content stream (object 4)."""
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> >>"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            _FONT,
            _stream(_shows(text)),
            *([page] * pages),
        ]
    )


def form_drawn_pdf(text: str, *, draws: int) -> bytes:
    """One page that draws a form showing `text` `draws` times: a single `extract_text` call yields it all."""
    content = b"\n".join([b"q /Fm1 Do Q"] * draws)
    form = _stream(_shows(text), b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> ")
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [6 0 R] /Count 1 >>",
            _FONT,
            form,
            _stream(content),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
            b"/Resources << /Font << /F1 3 0 R >> /XObject << /Fm1 4 0 R >> >> >>",
        ]
    )


def blank_pdf() -> bytes:
    """One blank page: a PDF with no text to index (a scan without OCR)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
