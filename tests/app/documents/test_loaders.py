"""load_document: every supported format decodes, and every bad file becomes an actionable LoadProblem."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from pypdf import PdfWriter

from app.documents.load_types import LoadedDocument, LoadProblem
from app.documents.loaders import load_document
from tests.app.documents.pdfs import repeated_text_pdf

MB = 1_000_000


def _text_pdf(text: str) -> bytes:
    """A minimal one-page PDF whose content stream draws `text` (pypdf's writer cannot add text)."""
    return repeated_text_pdf(text, pages=1)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _problem(result: LoadedDocument | LoadProblem, kind: str) -> LoadProblem:
    assert isinstance(result, LoadProblem), result
    assert result.kind == kind
    assert result.message
    return result


def test_markdown_utf8(tmp_path: Path) -> None:
    data = "# 标题\r\n\r\nHello 世界\r\n".encode()
    doc = load_document(_write(tmp_path, "a.md", data), max_bytes=MB, source="a.md")
    assert isinstance(doc, LoadedDocument)
    assert doc.text == "# 标题\n\nHello 世界\n"
    assert doc.encoding == "utf-8" and doc.source == "a.md" and doc.size_bytes == len(data)
    assert doc.file_sha == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("suffix", [".markdown", ".txt", ".MD"])
def test_other_text_suffixes(tmp_path: Path, suffix: str) -> None:
    doc = load_document(_write(tmp_path, "n" + suffix, b"plain text"), max_bytes=MB)
    assert isinstance(doc, LoadedDocument) and doc.text == "plain text"
    assert doc.source == (tmp_path / ("n" + suffix)).as_posix()


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "b.txt", "\ufeff你好".encode("utf-8")), max_bytes=MB)
    assert isinstance(doc, LoadedDocument) and doc.text == "你好" and doc.encoding == "utf-8-sig"


def test_utf16_with_bom(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "w.txt", "端口 11434".encode("utf-16")), max_bytes=MB)
    assert isinstance(doc, LoadedDocument) and doc.text == "端口 11434" and doc.encoding == "utf-16"


@pytest.mark.parametrize(
    "codec", ["utf-32", "utf-32-le", "utf-32-be", "utf-16-be"], ids=["utf-32", "utf-32-le-bom", "utf-32-be-bom", "utf-16-be-bom"]
)
def test_utf16_and_utf32_text_with_any_byte_order_mark(tmp_path: Path, codec: str) -> None:
    text = "端口 11434, port 11434.\n"
    data = text.encode(codec) if codec == "utf-32" else ("\ufeff" + text).encode(codec)
    doc = load_document(_write(tmp_path, "w.txt", data), max_bytes=MB)
    assert isinstance(doc, LoadedDocument) and doc.text == text and doc.encoding == codec[:6]


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe" + b"\0" * 202,  # a BOM, then zeros: "decodes" as 101 NULs
        b"\xff\xfe" + bytes(range(1, 32)) * 8,  # controls, as UTF-16 code units
        b"\xff\xfe" + bytes(range(0xE0, 0xF8)) * 40,  # private-use code points
        b"\xff\xfe\x00\x00junk",  # a UTF-32 BOM with a truncated body
    ],
    ids=["zeros", "controls", "private-use", "utf-32-truncated"],
)
def test_binary_behind_a_byte_order_mark_is_not_indexed(tmp_path: Path, data: bytes) -> None:
    """Almost any bytes after FF FE decode as UTF-16: such a file was indexed as CJK-looking characters."""
    problem = load_document(_write(tmp_path, "x.txt", data), max_bytes=MB)
    assert isinstance(problem, LoadProblem) and problem.kind in ("binary", "encoding")


def test_gb18030_chinese_falls_back(tmp_path: Path) -> None:
    text = "Ollama 默认监听 11434 端口，只绑定在本机回环地址上。"
    doc = load_document(_write(tmp_path, "g.txt", text.encode("gb18030")), max_bytes=MB)
    assert isinstance(doc, LoadedDocument) and doc.text == text and doc.encoding == "gb18030"


def test_unreadable_encoding(tmp_path: Path) -> None:
    latin1 = "Café déjà vu, naïve façade, señor, Grüße aus Köln".encode("latin-1")
    problem = _problem(load_document(_write(tmp_path, "l.txt", latin1), max_bytes=MB), "encoding")
    assert "UTF-8" in problem.message


def test_empty_and_whitespace(tmp_path: Path) -> None:
    _problem(load_document(_write(tmp_path, "e.md", b""), max_bytes=MB), "empty")
    _problem(load_document(_write(tmp_path, "w.md", b" \n\t\r\n "), max_bytes=MB), "empty")


def test_binary(tmp_path: Path) -> None:
    _problem(load_document(_write(tmp_path, "x.txt", b"PK\x03\x04\x00\x00binary"), max_bytes=MB), "binary")
    controls = bytes(range(1, 9)) * 50 + b"some text"
    _problem(load_document(_write(tmp_path, "y.md", controls), max_bytes=MB), "binary")


def test_too_large_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "big.txt", b"x" * 2000)

    def no_open(*_: object, **__: object) -> int:
        raise AssertionError("opened a file that stat said was too large")

    monkeypatch.setattr(os, "open", no_open)
    problem = _problem(load_document(path, max_bytes=1000), "too_large")
    assert "GUARDED_RAG_MAX_FILE_MB" in problem.message


def test_unsupported_extension(tmp_path: Path) -> None:
    problem = _problem(load_document(_write(tmp_path, "d.docx", b"x"), max_bytes=MB), "unsupported")
    assert ".md" in problem.message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    _problem(load_document(tmp_path / "nope.md", max_bytes=MB), "unreadable")
    (tmp_path / "dir.md").mkdir()
    _problem(load_document(tmp_path / "dir.md", max_bytes=MB), "unreadable")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_permission_denied(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.md", b"secret")
    path.chmod(0)
    try:
        problem = _problem(load_document(path, max_bytes=MB), "unreadable")
        assert "permission" in problem.message.lower()
    finally:
        path.chmod(0o600)


def test_permission_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "p.md", b"secret")

    real_open = os.open

    def denied(file: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        if Path(file) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    problem = _problem(load_document(path, max_bytes=MB), "unreadable")
    assert "Permission denied" in problem.message


def test_pdf_with_text(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "t.pdf", _text_pdf("Ollama listens on port 11434")), max_bytes=MB)
    assert isinstance(doc, LoadedDocument), doc
    assert "Ollama listens on port 11434" in doc.text
    assert doc.encoding == "pdf" and doc.pages == 1


def _blank_pdf(tmp_path: Path, name: str, password: str | None = None) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if password is not None:
        writer.encrypt(user_password=password, algorithm="RC4-128")
    path = tmp_path / name
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def test_textless_pdf(tmp_path: Path) -> None:
    problem = _problem(load_document(_blank_pdf(tmp_path, "scan.pdf"), max_bytes=MB), "empty")
    assert "OCR" in problem.message


def test_encrypted_pdf(tmp_path: Path) -> None:
    problem = _problem(load_document(_blank_pdf(tmp_path, "locked.pdf", "secret"), max_bytes=MB), "unreadable")
    assert "password" in problem.message


def test_corrupt_pdf(tmp_path: Path) -> None:
    _problem(load_document(_write(tmp_path, "bad.pdf", b"%PDF-1.4 garbage"), max_bytes=MB), "unreadable")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(tmp_path: Path, codec: str) -> None:
    """Found by a walkthrough: Windows tools save UTF-16 without a mark, and its NUL bytes (the high byte of every
    ASCII character) made the sniff call it binary, "not text" being the wrong advice for a text file."""
    text = "Ollama listens on port 11434.\n默认端口是 11434。"
    doc = load_document(_write(tmp_path, "notes.txt", text.encode(codec)), max_bytes=MB)
    assert isinstance(doc, LoadedDocument) and doc.text == text and doc.encoding == "utf-16"


def test_binary_with_nuls_at_one_parity_is_still_binary(tmp_path: Path) -> None:
    samples = bytes([7, 0, 200, 0, 3, 0, 31, 0]) * 300  # little-endian 16-bit numbers: "decodes" to controls
    _problem(load_document(_write(tmp_path, "samples.txt", samples), max_bytes=MB), "binary")


JAPANESE = (
    "富士見町の図書館には七千二百冊の古い地図が保管されています。東京の地下鉄は朝のラッシュアワーにとても混雑します。"
    "このソフトウェアはローカルで大規模言語モデルを実行するためのツールです。設定ファイルを編集してから、サーバーを再起動してください。"
)
KOREAN = (
    "서울의 지하철은 아침 출근 시간에 매우 붐빕니다. 이 소프트웨어는 로컬에서 대규모 언어 모델을 실행하기 위한 도구입니다. "
    "설정 파일을 편집한 후 서버를 다시 시작하십시오. 도서관에는 칠천이백 권의 오래된 지도가 보관되어 있습니다."
)


@pytest.mark.parametrize(("text", "codec"), [(JAPANESE, "shift_jis"), (JAPANESE, "euc_jp"), (KOREAN, "euc_kr")])
def test_japanese_or_korean_legacy_text_is_an_encoding_problem_not_chinese_gibberish(
    tmp_path: Path, text: str, codec: str
) -> None:
    """Found by a walkthrough: these bytes decode as GB18030 without error into CJK-looking characters, so a
    Shift-JIS file was indexed as "晉巑尒挰偺恾彂娰…" and questions about it were refused as off-corpus."""
    data = text.encode(codec)
    assert data.decode("gb18030")  # the trap: it decodes
    problem = _problem(load_document(_write(tmp_path, "notes.txt", data), max_bytes=MB), "encoding")
    assert "re-save it as UTF-8" in problem.message


def test_long_and_short_gb18030_chinese_is_still_read(tmp_path: Path) -> None:
    long = "默认端口是 11434，可以通过环境变量修改监听地址。" * 8  # long enough to be judged
    for text in (long, "锣鼓经是什么？"):  # a short question is not judged (charset detection is unreliable there)
        doc = load_document(_write(tmp_path, "g.txt", text.encode("gb18030")), max_bytes=MB)
        assert isinstance(doc, LoadedDocument) and doc.text == text and doc.encoding == "gb18030"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ("Café déjà vu, naïve façade, señor".encode("cp1252"), "Western single-byte encoding (Windows-1252 or Latin-1)"),
        ("默認埠是 11434，可以透過環境變數修改監聽位址。".encode("big5"), "Big5 (Traditional Chinese)"),
        (
            "端口 11434 ".encode() * 4 + b"\xff" + "默认地址".encode(),
            "UTF-8 except 1 invalid byte(s), the first at byte 52 (0xFF)",
        ),
        (JAPANESE.encode("shift_jis"), "Japanese in Shift-JIS"),
        (JAPANESE.encode("euc_jp"), "Japanese or Korean legacy encoding"),
    ],
)
def test_an_unreadable_encoding_is_named_when_it_can_be_told(tmp_path: Path, data: bytes, said: str) -> None:
    # Every such file was called "a Japanese or Korean legacy encoding?", a Latin-1 note and a Big5 one too.
    problem = _problem(load_document(_write(tmp_path, "n.txt", data), max_bytes=MB), "encoding")
    assert said in problem.message and "UTF-8" in problem.message
