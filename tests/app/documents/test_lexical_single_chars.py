"""A one-character Chinese word the corpus writes as a longer word ("装" for "安装") is not a word the corpus
lacks: the coverage the relevance check reads counts it as used, while a character no indexed word holds
stays unknown."""

from __future__ import annotations

from pathlib import Path

from app.documents.lexical import ChunkRows, LexicalIndex

ROWS = [
    ("c1", "install-zh.md", "在 Linux 上安装 Ollama，然后运行模型。"),
    ("c2", "delete-zh.md", "用 ollama rm 删除不用的模型，释放磁盘空间。"),
]


def make(tmp_path: Path) -> LexicalIndex:
    return LexicalIndex(tmp_path / "lexical" / "docs.json", ChunkRows(lambda: [r[0] for r in ROWS], lambda: list(ROWS)))


def test_a_character_inside_an_indexed_word_is_not_unknown(tmp_path: Path) -> None:
    index = make(tmp_path)
    wanted, unknown = index.coverage("ollama 怎么装")
    assert "装" in wanted and "装" not in unknown
    wanted, unknown = index.coverage("模型删了")
    assert "删" in wanted and "删" not in unknown


def test_a_character_no_indexed_word_holds_stays_unknown(tmp_path: Path) -> None:
    index = make(tmp_path)
    wanted, unknown = index.coverage("猫怎么养")
    assert "猫" in wanted and "猫" in unknown


def test_longer_words_and_search_are_unchanged(tmp_path: Path) -> None:
    index = make(tmp_path)
    _, unknown = index.coverage("安装 定时关机")  # a longer word counts by itself, not by its characters
    assert "定时" in unknown and "关机" in unknown
    result = index.search("怎么装", 2)  # BM25 still matches terms only: "装" is no index term of the corpus
    assert result.ranked == () and result.unknown == ("装",)
