"""Search terms for the lexical (BM25) index: Chinese words from rjieba, English words and identifiers whole.

App layer, beside the index: the lexical index, the question-coverage signal and the calibration probes all
cut text with `terms`, so "a term" means the same thing in every place that counts them.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

from app.documents.stems import stem
from app.utf8 import utf8_safe
from guardrails.text import STOPCHARS_ZH, STOPWORDS_EN, normalize

# Bump when `terms` changes: a persisted lexical index made with another version is rebuilt, not mixed.
TERMS_VERSION = "3"  # 3: acronym plurals, British -ise and hyphenated compounds stemmed (stems.py)

# Tokens worth indexing: anything with a letter, a digit or a CJK character (drops spaces and punctuation).
_WORDLIKE = re.compile(r"[\w\u3400-\u9fff\uf900-\ufaff]")
# Chinese question words that stopword lists miss because they are compounds of function characters.
_ZH_QUESTION = frozenset({"哪几", "几种", "哪几种", "多少", "多久", "怎么", "怎样", "如何", "什么", "为什么", "是否", "有没有"})


@cache
def _stopwords() -> frozenset[str]:
    import stopwordsiso  # deferred: only a lexical index or a probe needs the list

    # stopwords-iso's Chinese list is function words and particles; its English list drops topic words a
    # technical corpus needs ("run", "system", "value"), so English keeps the guardrails' own short list.
    return frozenset(stopwordsiso.stopwords("zh")) | STOPWORDS_EN | _ZH_QUESTION | STOPCHARS_ZH


def _cut(text: str, *, parts: bool) -> list[str]:
    import rjieba  # deferred: loading the dictionary is 0.1 s, paid once, by the first search or ingest

    # cut_for_search adds the parts of long words ("局域网" -> "局域", "局域网"; "OLLAMA_NUM_PARALLEL" ->
    # its three parts and the whole): a question may use either, and both sides are cut the same way.
    # utf8_safe: rjieba (Rust) cannot take a lone surrogate (a question that was not UTF-8) and raised.
    text = utf8_safe(text)
    return list(rjieba.cut_for_search(text) if parts else rjieba.cut(text))


def terms(text: str) -> list[str]:
    """Index terms of `text`, in order: NFKC + casefolded rjieba tokens without stopwords and punctuation;
    English words are stemmed ("listens" ~ "listen", "LLMs" ~ "LLM": app.documents.stems); numbers and
    identifiers stay whole."""
    return list(_terms(text))


@lru_cache(maxsize=512)  # a question is cut twice per request: by the BM25 search, then by the coverage signal
def _terms(text: str) -> tuple[str, ...]:
    return tuple(_filtered(_cut(normalize(text), parts=True)))


def words(text: str) -> list[str]:
    """Content words of `text` in order, without the overlapping parts `terms` adds (readable, for probes)."""
    return _filtered(_cut(normalize(text), parts=False))


class Word(NamedTuple):
    """A word of a question as the coverage signal counts it: its normalised text (what its frequency in the
    language is looked up by), its index term, and the index terms of its parts (a Chinese compound's)."""

    text: str
    term: str
    parts: tuple[str, ...] = ()


def question_words(text: str) -> list[Word]:
    """The words of `text` for counting how much of it a corpus covers, each once. A Chinese word is one word
    with its parts: `terms` also indexes a compound's overlapping parts ("好几行" -> "好几", "几行", "好几行"), and
    counting those as words of their own made one new compound three unknown terms. Latin-script tokens are cut
    into their parts as `terms` cuts them ("llama.cpp" -> "llama", "cpp", "llama.cpp"): an identifier's parts
    are names of their own. A word cut alone can yield a part the whole text's cut does not index ("问到" alone
    gives "问"); the coverage signal ignores parts the index was not asked about."""
    out: list[Word] = []
    for raw in _cut(normalize(text), parts=False):
        token = raw.strip()
        if token.isascii():
            out += [Word(surface, term) for surface, term in _kept(_cut(token, parts=True))]
            continue
        for surface, term in _kept([token]):
            parts = tuple(dict.fromkeys(t for _, t in _kept(_cut(token, parts=True)) if t != term))
            out.append(Word(surface, term, parts))
    return out


def _filtered(tokens: list[str]) -> list[str]:
    return [term for _, term in _kept(tokens)]


def _kept(tokens: list[str]) -> list[tuple[str, str]]:
    """(token, index term) of each token worth indexing: stopwords and punctuation dropped, English stemmed."""
    stop = _stopwords()
    out: list[tuple[str, str]] = []
    for raw in tokens:
        token = raw.strip()
        if not token or not _WORDLIKE.search(token) or token in stop:
            continue
        out.append((token, stem(token) if token.isascii() else token))
    return out
