"""Hostile files on disk: a file that holds more than its size says, a name that turns into a pipe between the check
and the read, a PDF encrypted with AES when the library that decrypts it is missing."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

from app.documents.file_bytes import read_bytes
from app.documents.load_types import LoadedDocument, LoadProblem
from app.documents.loaders import load_document

PROC_STATUS = Path("/proc/self/status")


@pytest.mark.skipif(not PROC_STATUS.is_file(), reason="needs Linux /proc")
def test_a_file_holding_more_than_its_size_says_is_not_read_past_the_limit(tmp_path: Path) -> None:
    # /proc files report 0 bytes and hold more (as a file that grows after the size check does): the size check
    # alone let all of it through, however large
    link = tmp_path / "status.txt"
    link.symlink_to(PROC_STATUS)
    assert link.stat().st_size == 0 and len(PROC_STATUS.read_bytes()) > 100
    result = load_document(link, max_bytes=100)
    assert isinstance(result, LoadProblem), result
    assert result.kind == "too_large"
    assert "GUARDED_RAG_MAX_FILE_MB" in result.message


def test_a_regular_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "exact.txt"
    path.write_bytes(b"x" * 100)
    result = load_document(path, max_bytes=100)
    assert isinstance(result, LoadedDocument), result
    assert result.text == "x" * 100


def test_a_name_that_became_a_pipe_after_the_check_does_not_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the check (stat) saw a regular file; by the time of the read another process put a pipe there: opening a pipe
    # for reading waits for a writer, which never comes
    regular = tmp_path / "regular.txt"
    regular.write_bytes(b"text")
    fifo = tmp_path / "swapped.txt"
    os.mkfifo(fifo)
    real_stat = Path.stat

    def stat_before_the_swap(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        return real_stat(regular if self == fifo else self, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", stat_before_the_swap)
    try:
        result = read_bytes(fifo, max_bytes=1000, deadline_s=3)
    finally:
        _release_a_blocked_reader(fifo)
    assert isinstance(result, LoadProblem), result
    assert result.kind == "unreadable"
    assert "not a regular file" in result.message


def _release_a_blocked_reader(fifo: Path) -> None:
    """A reader stuck opening `fifo` (the bug) returns once a writer opens it; without one this does nothing."""

    def open_for_writing() -> None:
        with contextlib.suppress(OSError):  # ENXIO: no reader is waiting
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    thread = threading.Thread(target=open_for_writing, daemon=True)
    thread.start()
    thread.join(1)


def _aes256_encrypted_pdf() -> bytes:
    """A one-page PDF whose /Encrypt dictionary asks for AES-256 (V 5, R 6), as Acrobat writes: checking even the
    empty password needs AES. Its password hashes are zeros, so it opens with no password."""
    from tests.app.documents.pdfs import repeated_text_pdf

    data = repeated_text_pdf("secret", pages=1)
    zeros = b"<" + b"00" * 48 + b">"
    keys = b"<" + b"00" * 32 + b">"
    encrypt = (
        b"<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /O "
        + zeros
        + b" /U "
        + zeros
        + b" /OE "
        + keys
        + b" /UE "
        + keys
        + b" /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >> /StmF /StdCF /StrF /StdCF >>"
    )
    # the dictionary goes inline in the trailer: no cross-reference entry to add
    ident = b"<00112233445566778899aabbccddeeff>"
    return data.replace(b"/Root 1 0 R >>", b"/Root 1 0 R /Encrypt " + encrypt + b" /ID [" + ident + b" " + ident + b"] >>")


def _has_cryptography() -> bool:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(_has_cryptography(), reason="with cryptography installed pypdf decrypts AES itself")
def test_an_aes_encrypted_pdf_says_what_is_missing_not_that_it_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "acrobat.pdf"
    path.write_bytes(_aes256_encrypted_pdf())
    result = load_document(path, max_bytes=1_000_000)
    assert isinstance(result, LoadProblem), result
    assert result.kind == "unreadable"
    assert "encrypted with AES" in result.message and "pip install cryptography" in result.message
    assert "DependencyError" not in result.message and "re-export" not in result.message


def test_a_pdf_encrypted_with_aes_and_no_open_password_is_read(tmp_path: Path) -> None:
    """Acrobat encrypts print-restricted PDFs with AES-256 and an empty open password; pypdf opens them only with
    `cryptography`, now a dependency (pypdf[crypto]): such a file was refused."""
    import io

    from pypdf import PdfReader, PdfWriter

    from tests.app.documents.pdfs import repeated_text_pdf

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(repeated_text_pdf("retrieval guardrails", pages=1))))
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="AES-256")
    path = tmp_path / "restricted.pdf"
    with path.open("wb") as f:
        writer.write(f)
    assert PdfReader(path).is_encrypted
    loaded = load_document(path, max_bytes=1_000_000)
    assert not isinstance(loaded, LoadProblem), loaded
    assert "retrieval guardrails" in loaded.text


_CHINESE = "文档检索增强生成的护栏"


def _cid_font_pdf(*, to_unicode: bool) -> bytes:
    """One page of Chinese drawn in a composite font with the Identity encoding (glyph numbers 1, 2, ... for the
    characters of _CHINESE), as CJK PDFs embed fonts; with or without the /ToUnicode map from glyphs to characters."""
    from tests.app.documents.pdfs import _pdf, _stream

    cids = range(1, len(_CHINESE) + 1)
    shown = b"".join(b"%04X" % cid for cid in cids)
    content = _stream(b"BT /F1 12 Tf 72 720 Td <" + shown + b"> Tj ET")
    pairs = b"\n".join(b"<%04X> <%04X>" % (cid, ord(ch)) for cid, ch in zip(cids, _CHINESE, strict=True))
    cmap = _stream(
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n%d beginbfchar\n%s\nendbfchar\n"
        % (len(_CHINESE), pairs)
        + b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    font = b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [6 0 R]"
    font += b" /ToUnicode 7 0 R >>" if to_unicode else b" >>"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            font,
            content,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
            cmap,
        ]
    )


def test_a_pdf_in_fonts_without_a_character_map_is_refused_not_indexed_as_gibberish(tmp_path: Path) -> None:
    path = tmp_path / "scan-free-but-unmapped.pdf"
    path.write_bytes(_cid_font_pdf(to_unicode=False))
    result = load_document(path, max_bytes=1_000_000)
    assert isinstance(result, LoadProblem), result
    assert result.kind == "unreadable" and "gibberish" in result.message and "OCR" in result.message


def test_the_same_pdf_with_a_character_map_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mapped.pdf"
    path.write_bytes(_cid_font_pdf(to_unicode=True))
    result = load_document(path, max_bytes=1_000_000)
    assert isinstance(result, LoadedDocument), result
    assert result.text == _CHINESE
