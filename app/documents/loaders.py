"""Read one file from disk into text for ingestion: markdown, plain text (UTF-8 / GB18030) and PDF.

App layer, I/O edge of the ingest path. A bad file never raises: it comes back as a `LoadProblem`
whose message tells the user what to do about it, and the batch goes on.
"""

from __future__ import annotations

import errno
import hashlib
import io
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.deadline import DeadlineExceeded, Deadlines

if TYPE_CHECKING:
    from pypdf import PageObject

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf"}
ProblemKind = Literal["empty", "binary", "too_large", "unreadable", "unsupported", "encoding"]
_SNIFF_BYTES = 8192
_MIB = 1024 * 1024  # GUARDED_RAG_MAX_FILE_MB is applied as MiB by the service
MAX_TEXT_MB = 10
"""Most text, in MiB of characters, taken from one file whatever its size on disk (`text_limit`): a PDF compresses
its text, so a 300 KB PDF of 2,000 pages (one content stream they all share) yields 100 million characters, which
GUARDED_RAG_MAX_FILE_MB (checked on the bytes on disk) let through to fill memory and the index. A file whose
text outgrows the limit is refused; extraction stops there instead of finishing first."""
GONE_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})
"""Errors that say a path holds no file (missing, under a file, a link in a circle); any other error (permission
denied, an I/O error) says only that it cannot be told now."""
_MAX_CONTROL_RATIO = 0.05  # real text has almost no C0 controls besides tab/newline/CR/form feed


class LoadedDocument(BaseModel):
    """A file's text plus what the index needs to know whether it changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    text: str = Field(description="Decoded text, newlines normalised to \\n.")
    file_sha: str = Field(description="sha256 of the file's bytes (hex): unchanged bytes are skipped on re-ingest.")
    size_bytes: int
    encoding: str = Field(description='"utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030" or "pdf".')
    pages: int | None = None


class LoadProblem(BaseModel):
    """Why a file was skipped, in words a user can act on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    kind: ProblemKind
    message: str
    transient: bool = Field(
        default=False,
        description="The file could not be read this time (permission denied, an I/O error, a read that hung): what "
        "it says now is unknown, so a version indexed earlier is kept rather than removed.",
    )


def text_limit(max_bytes: int) -> int:
    """The most characters one file may yield: MAX_TEXT_MB, or the file size limit when that is larger (text
    files never yield more characters than bytes, so raising GUARDED_RAG_MAX_FILE_MB raises this too)."""
    return max(MAX_TEXT_MB * _MIB, max_bytes)


def _text_too_large(source: str, limit: int) -> LoadProblem:
    mb = f"{limit / _MIB:.1f}"
    return LoadProblem(
        source=source,
        kind="too_large",
        message=f"extracted text larger than {mb} MB (a PDF compresses text: a small file can hold far more); "
        f"split it, or raise GUARDED_RAG_MAX_FILE_MB above {mb}.",
    )


def read_bytes(path: Path, *, max_bytes: int, source: str | None = None, deadline_s: float | None = None) -> bytes | LoadProblem:
    """The file's bytes, after checking extension and size (with stat, before reading anything). With
    `deadline_s`, a read that hangs (a stalled network mount) becomes a LoadProblem after that many seconds."""
    source = source if source is not None else path.as_posix()
    if deadline_s is None:
        return _read_bytes(path, max_bytes=max_bytes, source=source)
    try:
        return Deadlines("file read", max_in_flight=1).call(
            lambda: _read_bytes(path, max_bytes=max_bytes, source=source), seconds=deadline_s, what=f"reading {source}"
        )
    except DeadlineExceeded:
        return LoadProblem(
            source=source,
            kind="unreadable",
            message=f"reading the file did not finish within {deadline_s:g} s (a stalled disk or network mount?); "
            "check the file and try again.",
            transient=True,
        )


def _read_bytes(path: Path, *, max_bytes: int, source: str) -> bytes | LoadProblem:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        wanted = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return LoadProblem(
            source=source,
            kind="unsupported",
            message=f"unsupported file type {suffix or '(no extension)'!r}; supported: {wanted}. "
            "Convert it to one of these or leave it out.",
        )
    try:
        info = path.stat()
        if not path.is_file():
            return LoadProblem(source=source, kind="unreadable", message="not a regular file; pass a file or a folder.")
        if info.st_size > max_bytes:
            return LoadProblem(
                source=source,
                kind="too_large",
                message=f"file is {info.st_size / _MIB:.1f} MB, over the {max_bytes / _MIB:.1f} MB limit; "
                "split it or raise GUARDED_RAG_MAX_FILE_MB.",
            )
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return LoadProblem(
            source=source,
            kind="unreadable",
            message=f"cannot read the file ({reason}); check that it exists and its permissions.",
            transient=exc.errno not in GONE_ERRNOS,  # vanished since the folder was listed: gone, not unreadable
        )


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "FULLWIDTH", "IDEOGRAPHIC", "HALFWIDTH", "BOPOMOFO"))


def _looks_chinese(text: str) -> bool:
    """GB18030 decodes many non-Chinese byte soups without error; accept it only if it reads as Chinese."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    return bool(non_ascii) and sum(map(_is_cjk, non_ascii)) / len(non_ascii) >= 0.9


# Japanese and Korean legacy encodings use the same byte ranges as GB18030, so their text decodes without error
# into CJK-looking characters and passes _looks_chinese (Shift-JIS "富士見町の図書館" became "晉巑尒挰偺恾彂娰").
_JAPANESE_KOREAN = frozenset(
    {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213", "iso2022_jp"}
    | {"cp949", "euc_kr", "johab", "iso2022_kr"}
)
# charset-normalizer is unreliable on short text: on CMRC 2018's Chinese encoded as GB18030 it named a Japanese or
# Korean codec for 3.8% of 40-character passage openings and 13.5% of questions, and for none of 1,104 passages
# cut at 100 characters or more (nor the repository's Chinese documents); it named the right family for every
# 110-character window of Shift-JIS, EUC-JP, CP932, EUC-KR and CP949 text tried. Shorter files are not judged.
_MIN_CHARS_TO_JUDGE = 100


def _japanese_or_korean(data: bytes, text: str) -> bool:
    if len(text) < _MIN_CHARS_TO_JUDGE:
        return False
    from charset_normalizer import from_bytes  # deferred: only files that are not UTF-8 get here

    best = from_bytes(data[: 4 * _SNIFF_BYTES]).best()
    return best is not None and best.encoding in _JAPANESE_KOREAN


# Byte-order marks of the encodings whose NUL bytes are part of the text, not a sign of binary (such a file is
# sniffed once decoded). The UTF-32 marks first: the little-endian one begins with UTF-16's.
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_WIDE_BOM_MARKS = tuple(bom for bom, _ in _WIDE_BOMS)


def _decode(data: bytes) -> tuple[str, str] | None:
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                return None
    bomless = _bomless_utf16(data)
    if bomless is not None:
        try:
            return data.decode(bomless), "utf-16"
        except UnicodeDecodeError:
            return None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return (text, "gb18030") if _looks_chinese(text) and not _japanese_or_korean(data, text) else None


def _encoding_hint(data: bytes) -> str:
    """What a file that is neither UTF-8 nor GB18030 Chinese probably is, and how to convert it. Said, not decoded:
    a wrong guess would index mojibake silently. Only what can be told reliably is named: UTF-8 spoiled by a few
    bytes, Big5 that reads as Chinese, a Western single-byte text (every non-ASCII byte alone between ASCII ones),
    and Japanese or Korean as `_japanese_or_korean` judges them; charset-normalizer alone named Windows-1250
    Finnish for a Latin-1 French note."""
    convert = "re-save it as UTF-8"
    bad = _invalid_utf8_offsets(data)
    valid = sum(ord(c) > 127 for c in data.decode("utf-8", "ignore"))  # non-ASCII characters that are good UTF-8
    if len(bad) == 1 or (valid and len(bad) <= max(3, valid // 20)):
        return (
            f"the file is UTF-8 except {len(bad)} invalid byte(s), the first at byte {bad[0]} "
            f"(0x{data[bad[0]]:02X}); fix or remove them, or {convert}."
        )
    try:
        big5 = data.decode("big5")
    except UnicodeDecodeError:
        big5 = ""
    if big5 and _looks_chinese(big5):
        return f"the file looks like Big5 (Traditional Chinese); {convert} (e.g. iconv -f BIG5 -t UTF-8)."
    if _single_high_bytes(data):
        return (
            "the file looks like a Western single-byte encoding (Windows-1252 or Latin-1); "
            f"{convert} (e.g. iconv -f WINDOWS-1252 -t UTF-8)."
        )
    try:
        legacy = data.decode("gb18030")
    except UnicodeDecodeError:
        legacy = ""
    if legacy and _japanese_or_korean(data, legacy):
        return f"the file looks like a Japanese or Korean legacy encoding (Shift-JIS, EUC-JP, EUC-KR…); {convert}."
    return f"the file is neither UTF-8 nor Chinese GB18030 and its encoding could not be told; {convert}."


def _invalid_utf8_offsets(data: bytes, limit: int = 1000) -> list[int]:
    """Byte offsets where `data` stops being valid UTF-8 (at most `limit` of them)."""
    found: list[int] = []
    start = 0
    while start < len(data) and len(found) < limit:
        try:
            data[start:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            found.append(start + exc.start)
            start += exc.end
    return found


def _single_high_bytes(data: bytes) -> bool:
    """Every byte of 0x80 and up stands alone between ASCII bytes (Western single-byte text: é, ü, ñ), and there are
    some: double-byte Asian encodings and UTF-8 come in runs."""
    high = [i for i, b in enumerate(data) if b >= 0x80]
    return bool(high) and all(not (i + 1 < len(data) and data[i + 1] >= 0x80) for i in high)


def _bomless_utf16(data: bytes) -> str | None:
    """The codec of UTF-16 text saved without a byte-order mark (Windows tools do), or None. Its NUL bytes (the
    high byte of every ASCII character) would otherwise make the sniff refuse it as binary. Recognised only in
    its plain form: at least half of its characters ASCII, each of them printable or a tab, CR or newline;
    a binary file whose NULs happen to fall at one parity rarely pairs them with printable bytes throughout.
    What it decodes to is still sniffed as text (`_binary_text`)."""
    head = data[:_SNIFF_BYTES]
    if len(data) % 2 or len(head) < 4 or data.startswith(_WIDE_BOM_MARKS):
        return None
    pairs = len(head) // 2
    for codec, high, low in (("utf-16-le", 1, 0), ("utf-16-be", 0, 1)):
        ascii_low = [head[i + low] for i in range(0, 2 * pairs, 2) if head[i + high] == 0]
        if len(ascii_low) >= pairs / 2 and all(32 <= b < 127 or b in (9, 10, 13) for b in ascii_low):
            return codec
    return None


def looks_binary(data: bytes) -> bool:
    """Sniffed on the bytes; a file with a UTF-16/32 byte-order mark, or UTF-16 without one, is sniffed once
    decoded (`_binary_text`)."""
    head = data[:_SNIFF_BYTES]
    if data.startswith(_WIDE_BOM_MARKS) or _bomless_utf16(data):
        return False
    if b"\0" in head:
        return True
    return _control_share(head) > _MAX_CONTROL_RATIO


def _binary_text(text: str) -> bool:
    """Decoded text that is binary after all: almost any file starting with FF FE "decodes" as UTF-16, so a binary
    one would otherwise be indexed as a run of CJK-looking characters (which BM25 then matches as Chinese). Real
    text has no NUL and almost no controls, unassigned or private-use code points."""
    head = text[: _SNIFF_BYTES // 2]
    odd = sum(1 for ch in head if ch not in "\t\n\f\r" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    return "\0" in head or (bool(head) and odd / len(head) > _MAX_CONTROL_RATIO)


def _control_share(head: bytes) -> float:
    controls = sum(1 for b in head if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    return controls / len(head) if head else 0.0


def _binary(source: str) -> LoadProblem:
    return LoadProblem(source=source, kind="binary", message="the file looks binary, not text; check it is the right file.")


class _TextTooLarge(Exception):
    """Raised by the extraction visitor to stop a PDF's extraction as soon as its text outgrows the limit."""


class _TextBudget:
    """Counts the characters pypdf extracts, page by page and piece by piece within a page (one page that draws a
    form 100,000 times is one `extract_text` call), and stops the extraction when they pass `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def visit(self, text: object, *_: object) -> None:
        self.used += len(text) if isinstance(text, str) else 0
        if self.used > self.limit:
            raise _TextTooLarge

    def page(self, page: PageObject) -> str:
        return page.extract_text(visitor_text=self.visit) or ""


def _without_lone_surrogates(text: str) -> str:
    """pypdf decodes a font's ToUnicode map with "surrogatepass", so a PDF can yield lone surrogates, which no
    UTF-8 encoder (chunk ids, the index, JSON) accepts. Through UTF-16 a split pair becomes its character again
    and a lone one U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _pdf_text(data: bytes, source: str, max_chars: int) -> tuple[str, int] | LoadProblem:
    from pypdf import PdfReader  # deferred: only PDFs need it

    budget = _TextBudget(max_chars)
    try:
        reader = PdfReader(io.BytesIO(data))
        # Many PDFs are "encrypted" with an empty user password only to restrict printing; try that.
        if reader.is_encrypted and not reader.decrypt(""):
            return LoadProblem(
                source=source, kind="unreadable", message="the PDF is password-protected; save an unprotected copy."
            )
        pages = [budget.page(page) for page in reader.pages]
    except _TextTooLarge:
        return _text_too_large(source, max_chars)
    except Exception as exc:
        return LoadProblem(
            source=source,
            kind="unreadable",
            message=f"the PDF could not be parsed ({type(exc).__name__}: {str(exc)[:120]}); re-export it or convert it to text.",
        )
    return _without_lone_surrogates("\n\n".join(p.strip() for p in pages)), len(pages)


def parse_document(data: bytes, *, suffix: str, source: str, max_chars: int = MAX_TEXT_MB * _MIB) -> LoadedDocument | LoadProblem:
    """Decode bytes already read (suffix picks the parser) into a LoadedDocument or a LoadProblem; text longer
    than `max_chars` is a problem (`text_limit` gives the limit that goes with a file size limit)."""
    sha = hashlib.sha256(data).hexdigest()
    if not data:
        return LoadProblem(source=source, kind="empty", message="the file is empty; add content or leave it out.")
    pages: int | None = None
    if suffix.lower() == ".pdf":
        parsed = _pdf_text(data, source, max_chars)
        if isinstance(parsed, LoadProblem):
            return parsed
        text, pages = parsed
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
        decoded = _decode(data)
        if decoded is None:
            return LoadProblem(source=source, kind="encoding", message=f"unreadable encoding: {_encoding_hint(data)}")
        text, encoding = decoded
        if encoding in ("utf-16", "utf-32") and _binary_text(text):
            return _binary(source)
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
