"""READER_VERSION follows what reading and chunking make of a file: a fingerprint of their output on samples of
every kind ingest meets (encodings, byte-order marks, binary, PDF, markdown structure, long text) is recorded
per version, so a change to loaders.py or chunking.py that alters an index's chunks cannot land without the bump
that makes existing indexes re-read their files (ingest skips a file with unchanged bytes only at the current
version)."""

from __future__ import annotations

import hashlib
import json

from app.documents.chunking import chunk_text
from app.documents.ingest import READER_VERSION
from app.documents.load_types import LoadProblem
from app.documents.loaders import parse_document
from tests.app.documents.test_hunt_reading_files import _cid_font_pdf
from tests.app.documents.test_loaders import _text_pdf

# version -> fingerprint of the samples below. Append a line when bumping; keep the old ones (history).
READ_AS = {
    1: "b02c4143db73082c2c47528d7eb101f9ca898b4b5b9b4689d6057789d9bce8d7",
    2: "01ec7eb38ea6bba0d36bf6e20402784237e24b9816504db39f591b0fbe62d17c",  # UTF-16 without a byte-order mark is read
    3: "950fb81b8e13dc0255f0936fa1b6524226e8c51b670f3cb138450e29d9651bff",  # Japanese/Korean legacy text is refused
    4: "bf4cf066ba0cd4f7310988f8a8808d6d1ea9f2bb6db664e87fedc7c3e6e2e9d2",  # GBK with “”《》…; Latin-1 German refused
    5: "6495382b63facc722f6da20bc10e4ec46a5f072a22c4773fb0b087456e70c156",  # CommonMark fences; lines end at "\n" only
    6: "5ae6531dff2c45ae8db56129a8fecf080c6e7824ef4221186b2869f0b3f767e0",  # PDF text in unmapped CID fonts refused
    7: "8808b21bc4c7f8c3b2f70b8c74b0944f829a14ee234daa824e033cc2378a4c1e",  # short Shift-JIS; CJK UTF-16 w/o BOM; NUL
    8: "c2b19d185575d0b648a54981b0d38fe4b250f6b87739562d9ff39189e2744e09",  # short kanji-only EUC-JP, hangul EUC-KR
}

_LONG_EN = " ".join(f"Sentence {i} explains how the server keeps model {i % 7} loaded in memory." for i in range(60))
_LONG_ZH = "".join(f"第{i}句说明模型如何在内存中保持加载，以及何时卸载。" for i in range(80))
_MARKDOWN = (
    "# Install\n\nRun the script. It sets up systemd.\n\n## Linux\n\n```bash\ncurl -fsSL https://x | sh\n```\n\n"
    "- item one\n- item two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n### Port 端口\n\n默认端口是 11434。可以修改监听地址！"
    "Really? Yes; v1.2 and a.b.c stay whole.\n\n# Empty heading\n\n#\n\n" + _LONG_EN + "\n\n" + _LONG_ZH
)
SAMPLES: dict[str, tuple[str, bytes]] = {
    "markdown": (".md", _MARKDOWN.encode("utf-8")),
    "crlf": (".txt", b"line one\r\nline two\rline three\n"),
    "utf8_bom": (".txt", b"\xef\xbb\xbf" + "带 BOM 的文本。".encode()),
    "utf16_le": (".txt", b"\xff\xfe" + "UTF-16 小端文本。".encode("utf-16-le")),
    "utf16_be": (".txt", b"\xfe\xff" + "UTF-16 big endian text.".encode("utf-16-be")),
    "utf32_le": (".md", b"\xff\xfe\x00\x00" + "# UTF-32\n\n四字节文本。".encode("utf-32-le")),
    "gb18030": (".txt", "国标编码的中文文档，讲述端口设置。".encode("gb18030")),
    "utf16_le_no_bom": (".txt", "Saved by Notepad without a mark.\n端口 11434。".encode("utf-16-le")),
    "utf16_be_no_bom": (".md", "# Big endian\n\nNo byte-order mark here.".encode("utf-16-be")),
    "int16_array": (".txt", bytes([7, 0, 200, 0, 3, 0, 31, 0]) * 300),
    "shift_jis": (
        ".txt",
        ("富士見町の図書館には古い地図が保管されています。東京の地下鉄は朝とても混雑します。" * 3).encode("shift_jis"),
    ),
    "euc_kr": (
        ".txt",
        ("서울의 지하철은 아침 출근 시간에 매우 붐빕니다. 설정 파일을 편집한 후 다시 시작하십시오. " * 3).encode("euc_kr"),
    ),
    "gbk_long": (".txt", ("默认端口是 11434，可以通过环境变量修改监听地址。" * 8).encode("gbk")),
    "binary_behind_bom": (".txt", b"\xff\xfe" + b"\x01\x00\x8f\x4e\x00\x00\x37\x9a" * 200),
    "lone_surrogates_behind_bom": (".txt", b"\xff\xfe" + bytes(range(256)) * 8),
    "binary": (".md", b"\x00\x01\x02PK\x03\x04" * 100),
    "latin1": (".txt", "caf\xe9 cr\xe8me".encode("latin-1")),
    "latin1_german": (".txt", "Die Stra\xdfe f\xfchrt \xfcber die Br\xfccke zum M\xe4dchen.".encode("latin-1")),
    "gbk_punctuation": (".txt", "他说：“我读过《红楼梦》……”——【注意】温度 25℃ ±0.5℃。".encode("gbk")),
    "empty": (".md", b""),
    "whitespace": (".txt", b" \n\t\n"),
    "headings_only": (".md", b"# One\n\n## Two\n"),
    "fences_and_line_separators": (
        ".md",
        "```x``` text\n\n# Later\n\nBody.\n\n```\ncode\n    ```\n```\n\n# Next\n\nIntro\u2028# Not a heading\f\n".encode(),
    ),
    "pdf": (".pdf", _text_pdf("Ollama listens on port 11434")),
    "broken_pdf": (".pdf", b"%PDF-1.4 garbage"),
    "pdf_cid_font_unmapped": (".pdf", _cid_font_pdf(to_unicode=False)),
    "pdf_cid_font_mapped": (".pdf", _cid_font_pdf(to_unicode=True)),
    "shift_jis_short": (".txt", "富士見町の図書館は月曜日が休館です。".encode("shift_jis")),
    "utf16_le_cjk_no_bom": (".txt", "默认端口是一万一千四百三十四。可以修改监听地址。".encode("utf-16-le")),
    "utf16_be_cjk_no_bom": (".md", "# 端口\n\n默认端口是一万一千四百三十四。".encode("utf-16-be")),
    "nul_past_the_sniff": (".txt", b"Plain text. " * 700 + b"\0" * 8 + b"More text."),
    "euc_jp_short_kanji": (".txt", "国立国会図書館".encode("euc_jp")),
    "euc_kr_short_hangul": (".txt", "설치 방법".encode("euc_kr")),
}


def _read(suffix: str, data: bytes) -> object:
    doc = parse_document(data, suffix=suffix, source="sample")
    if isinstance(doc, LoadProblem):
        return ["problem", doc.kind]
    chunks = [[c.chunk_id, c.heading, c.ordinal, c.start, c.text] for c in chunk_text(doc.text, source="sample")]
    return [doc.encoding, doc.pages, chunks]


def fingerprint() -> str:
    read = {name: _read(suffix, data) for name, (suffix, data) in sorted(SAMPLES.items())}
    return hashlib.sha256(json.dumps(read, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def test_the_reader_version_is_bumped_when_reading_or_chunking_changes() -> None:
    now = fingerprint()
    assert READ_AS.get(READER_VERSION) == now, (
        "reading or chunking now makes something else of the samples. If that is meant, set "
        f"app.documents.ingest.READER_VERSION = {READER_VERSION + 1} and add `{READER_VERSION + 1}: {now!r},` to "
        "READ_AS here, so that indexes built before re-read their files; if not, the change is a regression."
    )


def test_versions_only_go_up() -> None:
    assert max(READ_AS) == READER_VERSION and sorted(READ_AS) == list(range(1, READER_VERSION + 1))


def test_the_samples_cover_each_outcome() -> None:
    """The fingerprint is worth something only if the samples reach each branch: decoded text of every encoding,
    PDFs, and each kind of refusal."""
    read = {name: _read(suffix, data) for name, (suffix, data) in SAMPLES.items()}
    kinds = {r[1] for r in read.values() if r[0] == "problem"}  # type: ignore[index]
    encodings = {r[0] for r in read.values() if r[0] != "problem"}  # type: ignore[index]
    assert kinds >= {"binary", "empty", "unreadable", "encoding"}
    assert encodings >= {"utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030", "pdf"}
    chunks = read["markdown"][2]  # type: ignore[index]
    assert len(chunks) > 3 and any("Linux" in c[1] for c in chunks)  # headings, several chunks
