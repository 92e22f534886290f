"""East Asian text in the encodings a short note or a Windows tool saves it in: Shift-JIS too short for
charset-normalizer to judge was indexed as GB18030 gibberish, and UTF-16 without a byte-order mark holding
mostly CJK (not ASCII) was refused as "binary". What is read must be the text itself; what is refused must say
what the file is."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents.load_types import LoadedDocument, LoadProblem
from app.documents.loaders import load_document

MB = 1_000_000

SHORT_JAPANESE = [
    "富士見町の図書館は月曜日が休館です。",
    "東京都の天気は晴れです。明日は雨が降るでしょう。",
    "サーバーのポート番号を確認してください",
    "株式会社山田製作所",  # kanji only: no kana to go by
]


@pytest.mark.parametrize("text", SHORT_JAPANESE)
def test_short_shift_jis_is_refused_as_japanese_not_indexed_as_chinese_gibberish(tmp_path: Path, text: str) -> None:
    data = text.encode("shift_jis")
    assert len(text) < 100 and data.decode("gb18030")  # the trap: too short to judge, and it decodes as GB18030
    path = tmp_path / "memo.txt"
    path.write_bytes(data)
    problem = load_document(path, max_bytes=MB)
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "encoding" and "Shift-JIS" in problem.message and "UTF-8" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "默认端口是 11434。",
        "我們說話的時候，應該讓對方聽清楚。",  # traditional, saved as GBK
        "东京都的天气很好。",  # the Chinese for a Japanese name: hanzi GB2312 has
        "【注意】请在“设置”中选择“网络”。",
    ],
)
def test_short_gb18030_chinese_is_still_read(tmp_path: Path, text: str) -> None:
    path = tmp_path / "zh.txt"
    path.write_bytes(text.encode("gb18030"))
    doc = load_document(path, max_bytes=MB)
    assert isinstance(doc, LoadedDocument), doc
    assert doc.encoding == "gb18030" and doc.text == text


CJK = [
    "默认端口是一万一千四百三十四。可以修改监听地址。",
    "富士見町の図書館は月曜日が休館です。",
    "서버의 포트 번호를 확인하십시오. 기본값은 바뀔 수 있습니다.",
    "流程：加载文档→切分→向量化→建索引→检索→组装提示词",
]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", CJK)
def test_utf16_without_a_byte_order_mark_holding_cjk_is_read(tmp_path: Path, text: str, codec: str) -> None:
    # Windows tools save UTF-16 without a BOM; CJK text has few ASCII characters, so its NULs and controls (一 is
    # U+4E00, 。 U+3002) made the sniff call it binary: "check it is the right file"
    path = tmp_path / "notes.txt"
    path.write_bytes(text.encode(codec))
    doc = load_document(path, max_bytes=MB)
    assert isinstance(doc, LoadedDocument), doc
    assert doc.encoding == "utf-16" and doc.text == text


@pytest.mark.parametrize(
    "data",
    [
        b"took 10\xe2\x80\x93\x0045 s to\n",  # UTF-8 with a NUL: paired up it reads as hanzi and a kana
        b"answer_j\x00son_sche",
        b"\nque\x1bstion time",
        bytes(range(256)) * 4,
    ],
)
def test_ascii_or_binary_is_never_read_as_utf16_cjk(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(data)
    result = load_document(path, max_bytes=MB)
    assert not (isinstance(result, LoadedDocument) and result.encoding == "utf-16"), result


def test_shift_jis_read_as_utf16_is_not_taken_for_cjk(tmp_path: Path) -> None:
    # Shift-JIS kanji and kana, two bytes each, read as UTF-16 are CJK code points too, but rare ones
    path = tmp_path / "memo.txt"
    path.write_bytes(SHORT_JAPANESE[0].encode("shift_jis"))
    result = load_document(path, max_bytes=MB)
    assert isinstance(result, LoadProblem) and "Shift-JIS" in result.message, result


def test_nul_characters_past_the_sniffed_opening_are_refused_not_indexed(tmp_path: Path) -> None:
    # A NUL in the first 8 KB made the file "binary"; one further on went into the index inside a chunk (a log
    # preallocated with NULs indexed runs of them, sent to the model as context)
    text = "# Log\n\n" + "The service started and answered a request. " * 400
    path = tmp_path / "service.md"
    path.write_bytes(text.encode() + b"\0" * 64 + b"The walrus vault code is nine.\n")
    problem = load_document(path, max_bytes=MB)
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "binary" and f"{len(text):,}" in problem.message and "NUL" in problem.message
