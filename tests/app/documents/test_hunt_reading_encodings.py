"""Encodings guessed wrong for common real files: GB18030 Chinese with Chinese punctuation refused, Latin-1
German indexed as Chinese gibberish."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents.load_types import LoadedDocument, LoadProblem
from app.documents.loaders import load_document

MB = 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "“你好，”他说，“我们走吧……”",
        "他说：“我读过《红楼梦》和《西游记》。”——这是真的。",
        "【注意】请在“设置”中选择“网络”，然后点击“确定”。温度约为 25℃，误差 ±0.5℃。",
    ],
)
def test_gb18030_chinese_with_quotes_book_titles_and_ellipses_is_read(tmp_path: Path, text: str) -> None:
    # “” 《》 …… —— 【】 ℃ ± are GB2312 characters but not CJK-named: with enough of them (any dialogue) the
    # file was refused as "neither UTF-8 nor Chinese GB18030".
    path = tmp_path / "zh.txt"
    path.write_bytes(text.encode("gb18030"))
    doc = load_document(path, max_bytes=MB)
    assert isinstance(doc, LoadedDocument), doc
    assert doc.encoding == "gb18030" and doc.text == text


@pytest.mark.parametrize(
    "text",
    [
        "Die Straße führt über die Brücke zum Mädchen.",
        "Grüße aus München! Das Gemüse ist schön frisch und die Bäckerei hat täglich Brötchen. Über die Brücke "
        "fährt ein Zug nach Köln. Die Währung war früher die Mark.",
    ],
)
def test_latin1_german_is_an_encoding_problem_not_chinese_gibberish(tmp_path: Path, text: str) -> None:
    # Each umlaut and the ASCII letter after it form a valid GB18030 character, so the note was indexed as
    # "Die Stra遝 f黨rt 黚er die Br點ke zum M鋎chen." without a word to the user.
    data = text.encode("latin-1")
    assert data.decode("gb18030")  # the trap: it decodes
    path = tmp_path / "notiz.txt"
    path.write_bytes(data)
    problem = load_document(path, max_bytes=MB)
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "encoding" and "UTF-8" in problem.message


def test_traditional_chinese_saved_as_gbk_is_still_read(tmp_path: Path) -> None:
    # Many GBK traditional characters have an ASCII-range second byte (說 = D5 66): still runs of high bytes.
    text = "我們說話的時候，應該讓對方聽清楚。這個軟體的設定檔在資料夾裡面，請檢查網路連線與伺服器埠號。"
    path = tmp_path / "zh-hant.txt"
    path.write_bytes(text.encode("gbk"))
    doc = load_document(path, max_bytes=MB)
    assert isinstance(doc, LoadedDocument) and doc.text == text and doc.encoding == "gb18030"
