"""question_coverage weighs each missing word by how specific it is in its language, and counts a Chinese
compound once (by its parts), not once per overlapping index term: a missing name ("vllm") lowers coverage more
than a missing everyday word ("took"), and "好几行" is one word that the corpus half covers."""

from __future__ import annotations

import math

import pytest

from app.documents.terms import terms
from app.signals.coverage import QuestionCoverage, TermsOf
from app.signals.specificity import pieced, specificity, zipf
from guardrails import GuardContext


def index_lacking(*missing: str) -> TermsOf:
    """A corpus that holds every term of the question except `missing` (index terms: stems, parts)."""

    def terms_of(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        wanted = tuple(dict.fromkeys(terms(text)))
        assert set(missing) <= set(wanted), f"{missing} are not terms of {text!r}: {wanted}"
        return wanted, tuple(t for t in wanted if t in missing)

    return terms_of


def coverage(question: str, *missing: str, **kwargs: object) -> tuple[float, tuple[str, ...]]:
    signal = QuestionCoverage(index_lacking(*missing), **kwargs).score(GuardContext(question=question))  # type: ignore[arg-type]
    assert signal.score is not None
    return signal.score, signal.evidence


def test_a_missing_name_lowers_coverage_more_than_a_missing_everyday_word() -> None:
    question = "did my environment variable change took effect in vllm"
    name, _ = coverage(question, "vllm")
    everyday, _ = coverage(question, "took")
    assert name < everyday  # counted alike (one term of eight each) they were equal
    assert coverage(question)[0] == 1.0


def test_a_chinese_compound_counts_once_covered_by_the_share_of_its_parts() -> None:
    # terms: 输入, 好几, 几行, 好几行; the corpus has 输入 and 好几. Two words, the second half covered.
    share, evidence = coverage("输入好几行", "几行", "好几行", weigh=lambda word: 1.0)
    assert share == 0.75  # by term it was 2 of 4 = 0.5: the compound's new part counted as a word of its own
    assert evidence == ("好几行",)
    assert coverage("输入好几行", "好几", "几行", "好几行", weigh=lambda word: 1.0)[0] == 0.5


def test_identifier_parts_still_count_as_names_of_their_own() -> None:
    share, evidence = coverage("what port does llama.cpp use", "llama", "cpp", "llama.cpp", weigh=lambda word: 1.0)
    assert share == 2 / 5 and evidence == ("llama", "cpp", "llama.cpp")  # of port, llama, cpp, llama.cpp, use


def test_evidence_is_the_missing_words_as_written_most_specific_first() -> None:
    _, evidence = coverage("garbage output from vllm", "garbag", "vllm")
    assert evidence == ("vllm", "garbage")  # the word, not its stem; the name first


def test_specificity_follows_the_language_not_the_corpus() -> None:
    assert specificity("the") < specificity("took") < specificity("garbage") < specificity("vllm")
    assert specificity("问题") < specificity("关机") < specificity("腾出来")
    assert zipf("vllm") == 0.0  # rarer than the list holds: the most specific
    assert 7.0 < zipf("the") < 8.0


def test_an_unlisted_chinese_token_of_everyday_characters_is_not_weighed_as_a_name() -> None:
    # rjieba glues colloquial characters into tokens no list holds: "装完" (install + done), "答得" (answer + 得).
    # They were weighed 81, as much as "vllm", so a colloquial Chinese question lost as much coverage as an
    # off-corpus one. Read as wordfreq reads Chinese (pieces, 1/10 per inferred break) they weigh like
    # ordinary words; a token with a character the list lacks ("擀", to roll dough) stays the rarest.
    for glued in ("装完", "答得", "能测"):
        assert 2.5 < zipf(glued) < min(zipf(glued[0]), zipf(glued[1])) - 1.0
        assert specificity(glued) < specificity("vllm") / 2
    assert zipf("擀") == 0.0
    assert zipf("定时关机") < min(zipf("定时"), zipf("关机"))  # a compound is rarer than its listed parts
    question = "ollama 装完 vllm 怎么配置"
    glued, _ = coverage(question, "装完")
    name, _ = coverage(question, "vllm")
    assert glued > name + 0.2  # they were equal: both words unlisted, both weighed 81


def test_pieces_combine_harmonically_with_a_tenth_per_inferred_break() -> None:
    listed = {"甲": -3.0, "乙": -4.0, "甲乙丙": -8.0}
    assert pieced("甲乙", listed) == pytest.approx(-math.log10(10**3 + 10**4) - 1.0)
    assert pieced("甲乙丙", listed) is None  # "丙" is unlisted: no cut is all listed pieces (the whole is no cut)
    assert pieced("甲甲乙", listed) == pytest.approx(-math.log10(2 * 10**3 + 10**4) - 2.0)


def test_a_word_is_read_from_its_pieces_once_per_process() -> None:
    # the pieced estimate tries up to 32 cuts (~70 us) and question words repeat across requests: it is cached
    zipf.cache_clear()
    first = zipf("装完好几行")
    assert zipf("装完好几行") == first
    info = zipf.cache_info()
    assert info.hits == 1 and info.misses == 1
