"""BM25 terms: identifiers and numbers whole, Chinese cut into words, stopwords and punctuation dropped."""

from __future__ import annotations

import pytest

from app.documents.terms import terms, words


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        # English: identifiers whole (and their parts), numbers whole, stems, no stopwords
        ("What does OLLAMA_NUM_PARALLEL do?", {"ollama_num_parallel", "num", "parallel"}, {"what", "does", "do", "?"}),
        ("Ollama listens on port 11434", {"ollama", "listen", "port", "11434"}, {"on"}),
        ("qwen2.5:3b needs 8GB", {"qwen2.5", "3b", "need"}, {":"}),
        ("error: model not found, try pulling it first", {"error", "model", "found", "pull"}, {"not", "it"}),
        ("Retrieving chunks vs retrieval", {"retriev", "chunk"}, {"retrieving", "retrieval", "chunks"}),
        # Chinese: words from rjieba, parts of long words too, function words dropped
        ("Ollama 默认监听哪个端口？", {"ollama", "默认", "监听", "端口"}, {"哪个", "？"}),
        ("OLLAMA_KEEP_ALIVE 有什么作用？", {"ollama_keep_alive", "作用"}, {"什么", "有"}),
        ("如何让局域网内的其他机器访问", {"局域网", "局域", "机器", "访问"}, {"如何", "的"}),
        ("done_reason 有哪几种值", {"done_reason", "值"}, {"哪几种", "几种"}),
        # full-width forms fold to ASCII
        ("Ｏｌｌａｍａ 端口 １１４３４", {"ollama", "端口", "11434"}, set()),
    ],
)
def test_terms(text: str, present: set[str], absent: set[str]) -> None:
    found = set(terms(text))
    assert present <= found, found
    assert not (absent & found), found


def test_words_are_terms_without_overlapping_parts() -> None:
    assert words("如何让局域网内的其他机器访问") == ["局域网", "机器", "访问"]
    assert {"局域", "局域网"} <= set(terms("局域网"))
    assert words("OLLAMA_NUM_PARALLEL=2") == ["ollama_num_parallel", "2"]


@pytest.mark.parametrize("text", ["", "   ", "？！。", "the and of", "的了吗"])
def test_nothing_to_index(text: str) -> None:
    assert terms(text) == []
