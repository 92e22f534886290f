"""wordfreq's lists are read once per process, whichever user asks first: the coverage signal's word specificity
and the decoding of short files that are not UTF-8 share one loader (each list took a quarter second and some
10 MB per user before)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import wordfreq

from app.documents.decoding import decode
from app.documents.word_frequencies import log_frequencies
from app.signals.specificity import specificity, zipf

pytestmark = pytest.mark.disable_socket


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """wordfreq's list reads by language, from a cold loader (the real lists are read)."""
    counted: Counter[str] = Counter()
    real = wordfreq.get_frequency_dict

    def counting(lang: str, wordlist: str = "best") -> dict[str, float]:
        counted[lang] += 1
        return real(lang, wordlist=wordlist)

    monkeypatch.setattr(wordfreq, "get_frequency_dict", counting)
    log_frequencies.cache_clear()
    yield counted
    log_frequencies.cache_clear()  # no list read through the counting wrapper outlives the test


def test_the_chinese_list_is_read_once_for_both_users(reads: Counter[str]) -> None:
    assert specificity("配置") < specificity("定时关机")  # the coverage signal reads the Chinese list first
    assert reads == Counter({"zh": 1})
    # a short GB18030 file: decoding scores its reading against the Chinese, Japanese and Korean lists
    assert decode("数据库配置".encode("gb18030")) is not None
    assert reads == Counter({"zh": 1, "ja": 1, "ko": 1})
    assert zipf("the") > 7.0 and zipf("vllm") == 0.0  # English, read on first use, once
    decode("模型文件".encode("gb18030"))
    specificity("模型")
    assert reads == Counter({"zh": 1, "ja": 1, "ko": 1, "en": 1})


def test_the_shared_lists_cannot_be_changed_by_a_user() -> None:
    with pytest.raises(TypeError):
        log_frequencies("en")["the"] = 0.0  # type: ignore[index]
