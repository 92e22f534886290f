"""question_words: the words the coverage signal counts. A Chinese word once, with the parts the index adds for
it; Latin-script identifiers cut into their parts as the index cuts them; stopwords dropped, English stemmed."""

from __future__ import annotations

import pytest

from app.documents.terms import Word, question_words, terms


def test_a_chinese_compound_is_one_word_with_its_parts() -> None:
    words = question_words("交互模式里怎么一次输入好几行")
    assert Word("好几行", "好几行", ("好几", "几行")) in words
    assert [w.term for w in words].count("几行") == 0  # a part is not a word of the question
    assert "怎么" not in [w.term for w in words]  # question words are stopwords, as in the index


def test_identifiers_count_with_their_parts_and_english_is_stemmed() -> None:
    words = question_words("my models: llama.cpp or OLLAMA_NUM_PARALLEL?")
    assert [w.term for w in words] == ["model", "llama", "cpp", "llama.cpp", "ollama", "num", "parallel", "ollama_num_parallel"]
    assert words[0].text == "models"  # the word as written (normalised), looked up in the language's frequencies


@pytest.mark.parametrize(
    "text",
    [
        "交互模式里怎么一次输入好几行",
        "不想删模型，就是想立刻把现存腾出来给别的程序用",
        "what port does llama.cpp's llama-server use?",
    ],
)
def test_every_word_and_part_is_an_index_term_of_the_question(text: str) -> None:
    indexed = set(terms(text))
    assert {t for w in question_words(text) for t in (w.term, *w.parts)} <= indexed
