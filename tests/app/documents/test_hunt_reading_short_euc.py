"""Short kanji-only Japanese in EUC-JP and hangul-only Korean in EUC-KR were indexed as GB18030 mojibake: both
encodings put every character in two bytes of A1-FE, as GB2312 does, so "東京都庁舎" read as the common hanzi
"澎叠旁模妓", and charset-normalizer does not judge text under 100 characters. Such a file is now refused with
a message naming its likely encoding; real short Chinese (the repository's Chinese documents, line by line and
cut short, re-encoded as GB18030) is still read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.documents.load_types import LoadedDocument, LoadProblem
from app.documents.loaders import parse_document

pytestmark = pytest.mark.disable_socket

DOCS = Path(__file__).resolve().parents[3] / "data" / "docs"
SHORT_JAPANESE = [
    "東京都庁舎",
    "日本国憲法",
    "国立国会図書館",
    "株式会社",
    "取扱説明書",
    "機械学習",
    "個人情報保護方針",
    "営業報告書",
]
SHORT_KOREAN = [
    "대한민국",
    "서울특별시",
    "한국어 문서",
    "설치 방법",
    "모델 파일 설정",
    "사용 설명서",
    "목차",
    "개인정보 처리방침",
]


def _parse(data: bytes) -> LoadedDocument | LoadProblem:
    return parse_document(data, suffix=".md", source="note.md")


@pytest.mark.parametrize("text", SHORT_JAPANESE)
def test_short_kanji_only_euc_jp_is_refused_not_indexed_as_chinese(text: str) -> None:
    problem = _parse(text.encode("euc_jp"))
    assert isinstance(problem, LoadProblem), problem  # read before as GB18030 hanzi
    assert problem.kind == "encoding" and "EUC-JP" in problem.message and "UTF-8" in problem.message


@pytest.mark.parametrize("text", SHORT_KOREAN)
def test_short_hangul_euc_kr_is_refused_not_indexed_as_chinese(text: str) -> None:
    problem = _parse(text.encode("euc_kr"))
    assert isinstance(problem, LoadProblem), problem
    assert problem.kind == "encoding" and "EUC-KR" in problem.message


def _short_chinese() -> list[str]:
    """Every line of the Chinese documents, and each document's opening cut at 10 to 90 characters, that holds two
    hanzi or more: short files of real Chinese. (One hanzi alone may read as well in EUC-KR: such a file is
    refused, unsure.)"""
    texts: list[str] = []
    for path in sorted(DOCS.glob("*-zh.md")):
        text = path.read_text(encoding="utf-8")
        texts += text.splitlines() + [text[:n] for n in range(10, 100, 10)]
    return [text for text in texts if len(re.findall(r"[\u4e00-\u9fff]", text)) >= 2]


def test_short_chinese_in_gb18030_is_still_read() -> None:
    texts = _short_chinese()
    assert len(texts) > 200
    refused = [(t, r) for t in texts if not isinstance(r := _parse(t.encode("gb18030")), LoadedDocument)]
    assert refused == []
    doc = _parse("数据库配置".encode("gb18030"))
    assert isinstance(doc, LoadedDocument) and doc.text == "数据库配置" and doc.encoding == "gb18030"
